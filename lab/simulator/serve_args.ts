/**
 * The command line of `deno task model-server` (lab/simulator/main.ts) read into serve.ts's
 * options: a scenario or a transcript to replay (or both), a port and a loopback host, the
 * transports (checked together: cli_rules.ts), `--var NAME=VALUE` values, and the paths as the
 * user's. Each bad input is a usage error of one line (exit 2).
 */
import { parseCommand, usageError, userNewPath, userPath } from "../../kit/cli.ts";
import { checkTransportFlags } from "./cli_rules.ts";
import type { ServeOptions } from "./serve.ts";

export const USAGE = "usage: deno task model-server -- (--scenario FILE | --replay TRANSCRIPT " +
  "[--timing transcript|zero]) [--port N] [--http1 | --plain-http] " +
  "[--host 127.0.0.1] [--save-transcript FILE] [--log FILE] [--log-bodies] [--var NAME=VALUE]";

/** Parses the command line. */
export function parseServeArgs(args: string[]): ServeOptions {
  const parsed = parseCommand(args, {
    scenario: { type: "string" },
    replay: { type: "string" },
    timing: { type: "string", default: "transcript" },
    port: { type: "string", default: "0" },
    host: { type: "string", default: "127.0.0.1" },
    http1: { type: "boolean", default: false },
    "plain-http": { type: "boolean", default: false },
    "save-transcript": { type: "string" },
    log: { type: "string" },
    "log-bodies": { type: "boolean", default: false },
    var: { type: "string", multiple: true, default: [] },
  }, { positionals: false });
  const v = parsed.values;
  if (v.scenario === undefined && v.replay === undefined) {
    throw usageError(
      "give --scenario FILE or --replay TRANSCRIPT (or both: replay with the scenario's pages)",
    );
  }
  if (v.timing !== "transcript" && v.timing !== "zero") {
    throw usageError(`--timing: expected transcript or zero, got ${JSON.stringify(v.timing)}`);
  }
  const port = Number(v.port);
  if (!Number.isInteger(port) || port < 0 || port > 65535) {
    throw usageError(
      `--port: expected 0-65535, got ${JSON.stringify(v.port)}`,
    );
  }
  if (
    !/^127\.\d{1,3}\.\d{1,3}\.\d{1,3}$/.test(v.host) && v.host !== "::1" &&
    v.host !== "localhost"
  ) {
    throw usageError(
      `--host: must be a loopback address, got ${JSON.stringify(v.host)}`,
    );
  }
  checkTransportFlags(v.http1, v["plain-http"]);
  const vars: Record<string, string> = {};
  for (const kv of v.var) {
    const eq = kv.indexOf("=");
    if (eq <= 0) {
      throw usageError(
        `--var: expected NAME=VALUE, got ${JSON.stringify(kv)}`,
      );
    }
    vars[kv.slice(0, eq)] = kv.slice(eq + 1);
  }
  return {
    scenario: v.scenario && userPath(v.scenario),
    replay: v.replay && userPath(v.replay),
    timing: v.timing,
    port,
    host: v.host,
    http1: v.http1,
    plainHttp: v["plain-http"],
    saveTranscript: v["save-transcript"] && userNewPath(v["save-transcript"]),
    log: v.log && userNewPath(v.log),
    logBodies: v["log-bodies"],
    vars,
  };
}
