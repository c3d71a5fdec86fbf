/**
 * A resident capture's request read into the session it asks for: the client's command line
 * (`--via [--socket PATH] [OPTIONS] [--] CMD ARGS...`, sent unparsed by either client,
 * resident_client.ts or native/via_client.c) read by capture_args.ts as `capture --via` reads
 * it, relative paths (--out, --cache-dir) from the client's directory, SIGHTLINE_CACHE_DIR and
 * the user (sudo_identity.ts) from its environment. So one parser reads every session's
 * options, whichever client sent them. A mistake is a CliError (one line, exit 2).
 */
import { CliError } from "../kit/cli_error.ts";
import { captureOptions, parseOptions, residentMode, splitArgs } from "./capture_args.ts";
import { commandEnv } from "./command_line.ts";
import type { Request, Session } from "./resident_protocol.ts";
import { sudoIdentity } from "./sudo_identity.ts";

/** The session `req` asks for; "help" for `--via --help`; a CliError for a mistake. */
export function viaSession(req: Request): Session | "help" {
  const { opts: optArgs, cmd } = splitArgs(req.args);
  let values;
  try {
    values = parseOptions(optArgs);
  } catch (e) {
    throw new CliError(`${(e as Error).message} (capture --help lists the options)`, 2);
  }
  if (values.help) return "help";
  if (residentMode(values, cmd)?.mode !== "via") {
    throw new CliError("a resident capture's session is asked for with --via", 2);
  }
  const abs = (p?: string) =>
    p === undefined || p === "" || p.startsWith("/") ? p : `${req.cwd}/${p}`;
  values.out = abs(values.out);
  values["cache-dir"] = abs(values["cache-dir"] ?? req.env.SIGHTLINE_CACHE_DIR);
  // the client's environment only: the server's SIGHTLINE_CACHE_DIR never reaches a session
  const opts = captureOptions(values, cmd, req.env);
  let user;
  try {
    user = sudoIdentity(req.env) ?? null;
  } catch (e) {
    throw new CliError((e as Error).message, 2);
  }
  return {
    pid: req.pid,
    start: req.start,
    user,
    cmd: opts.cmd!,
    cwd: req.cwd,
    env: commandEnv(req.env) ?? req.env,
    out: opts.out,
    force: opts.force,
    maxTlsBytes: opts.maxTlsBytes,
    keepSecrets: opts.keepSecrets,
    gate: opts.gate,
    ipc: opts.ipc,
    cacheDir: opts.cacheDir,
    quiet: opts.quiet,
  };
}
