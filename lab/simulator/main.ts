/**
 * Command line for the scripted model server:
 *
 *   deno task model-server -- --scenario FILE [--port N] [--http1 | --plain-http] [--host ADDR]
 *       [--replay TRANSCRIPT [--timing transcript|zero]] [--save-transcript FILE] [--log FILE]
 *       [--log-bodies]
 *       [--var NAME=VALUE ...]
 *
 * Prints the URLs and the environment agents need, serves until interrupted, then saves the
 * transcript if asked. Exit codes: 0 done, 2 bad arguments or input files, 1 other errors.
 */

import { parseCommand, runCommand, usageError, userPath } from "../../kit/cli.ts";
import { checkTransportFlags, inputErrorAsUsage } from "./cli_rules.ts";
import { startModelServer } from "./server.ts";

export interface ServeCliOptions {
  scenario?: string;
  replay?: string;
  /** replay with the transcript's pauses (default) or at once */
  timing: "transcript" | "zero";
  port: number;
  host: string;
  http1: boolean;
  /** plain HTTP/1.1, no TLS */
  plainHttp: boolean;
  saveTranscript?: string;
  log?: string;
  logBodies: boolean;
  vars: Record<string, string>;
}

export const USAGE = "usage: deno task model-server -- (--scenario FILE | --replay TRANSCRIPT " +
  "[--timing transcript|zero]) [--port N] [--http1 | --plain-http] " +
  "[--host 127.0.0.1] [--save-transcript FILE] [--log FILE] [--log-bodies] [--var NAME=VALUE]";

/** Parses the command line. */
export function parseServeArgs(args: string[]): ServeCliOptions {
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
    saveTranscript: v["save-transcript"] && userPath(v["save-transcript"]),
    log: v.log && userPath(v.log),
    logBodies: v["log-bodies"],
    vars,
  };
}

/** Runs the server until `stop` resolves (by default: SIGINT or SIGTERM). */
export async function run(
  opts: ServeCliOptions,
  stop?: Promise<void>,
): Promise<void> {
  const server = await startModelServer({
    scenario: opts.scenario,
    transcript: opts.replay,
    timing: opts.timing,
    port: opts.port,
    hostname: opts.host,
    http1: opts.http1,
    plainHttp: opts.plainHttp,
    logFile: opts.log,
    logBodies: opts.logBodies,
    vars: opts.vars,
  });
  const lines = [
    `model server: ${server.origin} (${
      opts.plainHttp
        ? "plain HTTP/1.1, no TLS"
        : opts.http1
        ? "HTTP/1.1 only"
        : "HTTP/2 and HTTP/1.1"
    })`,
    `  ANTHROPIC_BASE_URL=${server.origin}`,
    `  GOOGLE_GEMINI_BASE_URL=${server.origin}`,
    `  OPENAI_BASE_URL=${server.url}`,
    ...(opts.plainHttp ? [] : [
      `  NODE_EXTRA_CA_CERTS=${server.caCertPath} SSL_CERT_FILE=${server.caCertPath} CODEX_CA_CERTIFICATE=${server.caCertPath}`,
    ]),
    ...server.pages.map((p) => `  page ${p.name}: ${p.url} (${p.addressUrl})`),
  ];
  console.log(lines.join("\n"));
  const signalled = stop ?? new Promise<void>((resolve) => {
    for (const s of ["SIGINT", "SIGTERM", "SIGHUP"] as const) {
      Deno.addSignalListener(s, () => resolve());
    }
  });
  await signalled;
  await server.close();
  if (opts.saveTranscript) {
    await server.saveTranscript(opts.saveTranscript);
    console.log(
      `transcript: ${opts.saveTranscript} (${server.transcript.exchanges.length} exchanges)`,
    );
  }
  console.log(
    `served ${server.requests.length} requests, ${server.errors.length} problems`,
  );
  for (const e of server.errors) console.log(`  problem: ${e}`);
}

if (import.meta.main) {
  await runCommand("model-server", USAGE, async (args) => {
    try {
      await run(parseServeArgs(args));
    } catch (e) {
      throw inputErrorAsUsage(e);
    }
  });
}
