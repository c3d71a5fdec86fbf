/**
 * The command line of `deno task capture` (capture/main.ts) read into the capture's options:
 * options end at `--` or at the first argument that is not one (the command); long options,
 * `--name=value` and -h, with parseArgs' messages for mistakes. It parses without node:util:
 * the first node: import costs ~70 ms, which would delay the loader's start (see launch.ts).
 */
import type { CaptureOptions } from "./launch.ts";
import { CliError } from "../kit/cli_error.ts";
import { DEFAULT_SOCKET } from "./resident_protocol.ts";

export const USAGE = `usage: deno task capture [OPTIONS] [--] CMD ARGS...
       deno task capture [OPTIONS] --pid N | --comm NAME
       deno task capture --serve [--socket PATH]
       deno task capture --via [--socket PATH] [OPTIONS] [--] CMD ARGS...

Records the processes, file operations, connections, DNS queries and TLS plaintext of CMD
(or of process N, or of every process named NAME) and all their descendants, and the
JSON-RPC they exchange over pipes and unix sockets (MCP servers on stdio). When CMD (or
process N) ends, what still runs of it is followed for 5 s more at most (an agent below a
launcher that died at Ctrl-C, cleaning up); what runs on past that is named in a warning.

  --out DIR            recording directory (default: recordings/<time>-<name>)
  --force              reuse a non-empty --out directory (its recording is replaced)
  --pid N              trace running process N and its descendants (repeatable)
  --comm NAME          trace every process whose name is NAME, also ones started later
  --max-tls-bytes N    keep at most N bytes of each TLS call and of each recorded pipe or
                       unix-socket call (default 1048576)
  --keep-secrets       do not redact Authorization, API-key and cookie headers
  --no-gate            never pause a process while its TLS library is being hooked
  --no-ipc             do not record pipes and unix sockets that carry JSON-RPC (MCP's stdio)
  --cache-dir DIR      keep what is learnt of files across captures (inspections, files with
                       nothing to hook, located TLS functions) in DIR (default: the
                       SIGHTLINE_CACHE_DIR environment variable, else .cache in the project)
  --status / --quiet   force the live status line on / print nothing
  --serve              stay loaded as a resident capture, serving sessions on a Unix socket
                       (root's, 0600) one at a time, until SIGINT or SIGTERM
  --via                record CMD as a session of the resident capture: a recording like
                       CMD's own capture makes (its manifest names the resident capture in
                       served_by), with less of the capture's start-up cost per command
  --socket PATH        the resident capture's socket (default ${DEFAULT_SOCKET})
  -h, --help           this text`;

const OPTIONS = {
  out: { type: "string" },
  force: { type: "boolean" },
  pid: { type: "string", multiple: true },
  comm: { type: "string" },
  "max-tls-bytes": { type: "string" },
  "keep-secrets": { type: "boolean" },
  "no-gate": { type: "boolean" },
  "no-ipc": { type: "boolean" },
  "cache-dir": { type: "string" },
  status: { type: "boolean" },
  quiet: { type: "boolean" },
  serve: { type: "boolean" },
  via: { type: "boolean" },
  socket: { type: "string" },
  help: { type: "boolean", short: "h" },
} as const;

/** Options end at `--` or at the first argument that is not an option (the command). */
export function splitArgs(args: string[]): { opts: string[]; cmd: string[] } {
  const dd = args.indexOf("--");
  const valued = new Set([
    "--out",
    "--pid",
    "--comm",
    "--max-tls-bytes",
    "--cache-dir",
    "--socket",
  ]);
  for (let i = 0; i < (dd < 0 ? args.length : dd); i++) {
    const a = args[i];
    if (!a.startsWith("-")) return { opts: args.slice(0, i), cmd: args.slice(i) };
    if (valued.has(a)) i++;
  }
  return dd < 0 ? { opts: args, cmd: [] } : { opts: args.slice(0, dd), cmd: args.slice(dd + 1) };
}

export type Values = {
  -readonly [K in keyof typeof OPTIONS]?: (typeof OPTIONS)[K] extends { type: "boolean" } ? boolean
    : (typeof OPTIONS)[K] extends { multiple: true } ? string[]
    : string;
};

/** Strict parsing of OPTIONS (long options, `--name=value`, and -h), with parseArgs' messages. */
export function parseOptions(args: string[]): Values {
  const values: Record<string, boolean | string | string[]> = {};
  const specs: Record<string, { type: string; multiple?: boolean }> = OPTIONS;
  for (let i = 0; i < args.length; i++) {
    const a = args[i];
    const eq = a.indexOf("=");
    const name = a === "-h"
      ? "help"
      : a.startsWith("--")
      ? a.slice(2, eq < 0 ? undefined : eq)
      : "";
    const spec = Object.hasOwn(specs, name) ? specs[name] : undefined;
    if (!spec) throw new Error(`Unknown option '${eq < 0 ? a : a.slice(0, eq)}'`);
    if (spec.type === "boolean") {
      if (eq >= 0) throw new Error(`Option '--${name}' does not take an argument`);
      values[name] = true;
      continue;
    }
    const v = eq >= 0 ? a.slice(eq + 1) : args[++i];
    if (v === undefined) throw new Error(`Option '--${name} <value>' argument missing`);
    if (spec.multiple) values[name] = [...(values[name] as string[] ?? []), v];
    else values[name] = v;
  }
  return values as Values;
}

function intArg(name: string, v: string): number {
  if (!/^\d+$/.test(v)) throw new CliError(`--${name} wants a number, got "${v}"`, 2);
  return Number(v);
}

/** --cache-dir (or SIGHTLINE_CACHE_DIR) as an absolute path; empty is a mistake, not the root. */
function cacheDirArg(v: string | undefined): string | undefined {
  if (v === undefined) return undefined;
  if (!v) throw new CliError("--cache-dir (or SIGHTLINE_CACHE_DIR) is empty", 2);
  return v.startsWith("/") ? v : `${Deno.cwd()}/${v}`;
}

/**
 * The capture's options from parsed `values` and the command `cmd` (none: --pid or --comm);
 * SIGHTLINE_CACHE_DIR from `env` (a resident capture's session: its client's, never the
 * server's).
 */
export function captureOptions(
  values: Values,
  cmd: string[],
  env: Readonly<Record<string, string | undefined>> = {
    SIGHTLINE_CACHE_DIR: Deno.env.get("SIGHTLINE_CACHE_DIR"),
  },
): CaptureOptions {
  // Deno reads the command line as UTF-8, U+FFFD in place of other bytes: CMD could run with
  // arguments other than those given (a file name in Latin-1 naming nothing)
  const replaced = cmd.findIndex((a) => a.includes("\uFFFD"));
  if (replaced >= 0) {
    throw new CliError(
      `${replaced ? `argument ${replaced} of the command` : "the command"} holds U+FFFD ` +
        `(\uFFFD), which is what Deno makes of bytes that are not UTF-8: given such bytes, it ` +
        `would run with other arguments; give them through sh -c with printf's octal escapes ` +
        `('\\377'; U+FFFD itself: '\\357\\277\\275')`,
      2,
    );
  }
  // `--comm "$NAME"` with NAME unset: an empty value is a mistake (--comm would match nothing,
  // --out name the directory the capture runs in); --cache-dir says its own, with its variable
  for (const [name, v] of Object.entries(values)) {
    if (name !== "cache-dir" && (v === "" || (Array.isArray(v) && v.includes("")))) {
      throw new CliError(`--${name} wants a value, got an empty string`, 2);
    }
  }
  return {
    cmd: cmd.length ? cmd : undefined,
    pids: values.pid?.map((p) => intArg("pid", p)),
    comm: values.comm,
    out: values.out,
    force: values.force,
    maxTlsBytes: values["max-tls-bytes"] !== undefined
      ? intArg("max-tls-bytes", values["max-tls-bytes"])
      : undefined,
    keepSecrets: values["keep-secrets"],
    gate: !values["no-gate"],
    ipc: !values["no-ipc"],
    cacheDir: cacheDirArg(values["cache-dir"] ?? env.SIGHTLINE_CACHE_DIR),
    status: values.status,
    quiet: values.quiet,
  };
}

/**
 * `--serve` or `--via` (with `--socket`, or the default socket), or undefined for a capture of
 * its own; a CliError (usage) for options that do not go with them.
 */
export function residentMode(
  values: Values,
  cmd: string[],
): { mode: "serve" | "via"; socket: string } | undefined {
  const socket = values.socket ?? DEFAULT_SOCKET;
  if (values.socket === "") throw new CliError("--socket wants a value, got an empty string", 2);
  if (values.serve && values.via) throw new CliError("give --serve or --via, not both", 2);
  if (values.serve) {
    const other = Object.keys(values).filter((k) => k !== "serve" && k !== "socket");
    if (cmd.length || other.length) {
      throw new CliError(
        `--serve takes no command and no option but --socket (got ${
          cmd.length ? "a command" : `--${other[0]}`
        }): each session's come with its --via`,
        2,
      );
    }
    return { mode: "serve", socket };
  }
  if (values.via) {
    if (values.pid?.length || values.comm !== undefined) {
      throw new CliError(
        "--via records a command; --pid and --comm run as a capture of their own",
        2,
      );
    }
    if (values.status) throw new CliError("--via shows no live status line", 2);
    if (!cmd.length) throw new CliError("--via needs a command: --via -- CMD ARGS...", 2);
    return { mode: "via", socket };
  }
  if (values.socket !== undefined) throw new CliError("--socket goes with --serve or --via", 2);
  return undefined;
}
