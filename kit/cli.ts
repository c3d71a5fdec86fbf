/**
 * The command-line kit every entry point uses: an error that carries its exit code, argument
 * parsing on `node:util` parseArgs (bad options are usage errors, exit 2), paths resolved
 * against the directory the user ran the command from (`deno task` and `./sightline` run
 * from the project root and keep the caller's directory in INIT_CWD), timestamped output
 * directories, and stopping on SIGINT, SIGTERM and SIGHUP: everything the command started
 * (its whole process tree: agents, model servers, captures, loaders) is asked to end, then
 * killed after a grace period, and a second signal kills it at once.
 *
 *   if (import.meta.main) {
 *     await runCommand("analyze", USAGE, async (args) => {
 *       const { values, positionals } = parseCommand(args, OPTIONS);
 *       return await run({ recordings: positionals.map(userPath), ... });
 *     });
 *   }
 */
import { filePath } from "./file_path.ts";
import { resolve } from "node:path";
import { parseArgs, type ParseArgsConfig } from "node:util";
import { alive, descendants, type Proc, procOf, procTag } from "./procs.ts";
import { signalEchoFilter } from "./signal_echo.ts";
import { makeNewDir, timestampedDir as stampedPath } from "./stamped_dir.ts";
import { CliError } from "./cli_error.ts";

export { alive, descendants, type Proc, procOf, procTag } from "./procs.ts";

export { CliError };

/** The first line of an error's message (of a thrown non-Error, its text). */
export function errorLine(e: unknown): string {
  return (e instanceof Error ? e.message : String(e)).split("\n")[0];
}

/** `path: message`, unless the message (from a layer that named the path) begins with it. */
export function aboutPath(path: string, message: string): string {
  return message.startsWith(`${path}: `) ? message : `${path}: ${message}`;
}

/** Bad usage: exit code 2, the usage printed after the message. */
export function usageError(message: string): CliError {
  return new CliError(message, 2, true);
}

/** `--help` was asked for: the usage goes to stdout, exit 0. */
class HelpAsked extends Error {}

/** The project's root directory. */
export const PROJECT_ROOT = filePath("../", import.meta.url).replace(/\/$/, "");

/** The directory the user ran the command from (INIT_CWD, set by `deno task` and ./sightline). */
export function userCwd(): string {
  return Deno.env.get("INIT_CWD") || Deno.cwd();
}

/** What Deno makes of bytes of the command line that are not UTF-8 (a name in Latin-1, say). */
const REPLACED = "U+FFFD (\uFFFD), which is what Deno makes of bytes that are not UTF-8";

/**
 * A path the user gave, made absolute against the directory they ran the command from. Deno
 * reads the command line as UTF-8, with U+FFFD in place of bytes that are not: such a path,
 * unless it is a name really holding U+FFFD, names nothing, and is a usage error saying so,
 * not only "no such file".
 */
export function userPath(path: string): string {
  return absoluteUnlessReplaced(
    path,
    `not found; it holds ${REPLACED}: a name with such bytes must be renamed`,
  );
}

/**
 * A path the user gave for the command to make (an output directory, a log), made absolute as
 * `userPath` does. One holding U+FFFD that is not there yet is a usage error: the bytes given may
 * have been others (not UTF-8), and what the command made would not bear the name meant.
 */
export function userNewPath(path: string): string {
  return absoluteUnlessReplaced(
    path,
    `holds ${REPLACED}: what is made would not bear the name given; ` +
      "choose one in UTF-8 without U+FFFD",
  );
}

/** `path` made absolute against the user's directory; a usage error `path: why` when it holds
 * U+FFFD and nothing of that name is there, or when it is empty (the one rule of userPath and
 * userNewPath). */
function absoluteUnlessReplaced(path: string, why: string): string {
  // `"$REC"` with REC unset: not the directory the command runs in
  if (path === "") throw usageError("a path given is an empty string");
  const abs = resolve(userCwd(), path);
  if (!path.includes("\uFFFD")) return abs;
  try {
    Deno.lstatSync(abs);
    return abs;
  } catch {
    throw usageError(`${path}: ${why}`);
  }
}

/** The options a command declares, as `node:util` parseArgs takes them. */
export type Options = NonNullable<ParseArgsConfig["options"]>;

/**
 * Parses a command's arguments (a leading `--` from `deno task` is dropped); `-h`/`--help`
 * prints the usage and ends the command. Unknown options, missing values and empty ones are
 * usage errors.
 */
export function parseCommand<const O extends Options>(
  args: string[],
  options: O,
  opts: { positionals?: boolean } = {},
) {
  const a = args[0] === "--" ? args.slice(1) : args;
  let r;
  try {
    r = parseArgs({
      args: a,
      options: { ...options, help: { type: "boolean", short: "h" } } as O & {
        help: { type: "boolean"; short: "h" };
      },
      allowPositionals: opts.positionals ?? true,
      strict: true,
      tokens: true,
    });
  } catch (e) {
    if ((e as { code?: string }).code?.startsWith("ERR_PARSE_ARGS")) {
      // all of node's message on one line: for `--n -1` its first line alone ("argument is
      // ambiguous") does not say that `--n=-1` is how to give a value that begins with a dash
      throw usageError((e as Error).message.replace(/\s*\n\s*/g, " "));
    }
    throw e;
  }
  if ((r.values as Record<string, unknown>).help) throw new HelpAsked();
  // `--out "$DIR"` with DIR unset: no option takes an empty value (a number read as 0, a path
  // as the directory the command runs in, a name matching nothing, all without a word)
  for (const t of r.tokens) {
    if (t.kind === "option" && t.value === "") {
      throw usageError(`--${t.name} wants a value, got an empty string`);
    }
  }
  return r;
}

/** A whole number option, or a usage error naming it. */
export function intOption(name: string, value: string | undefined, min = 0): number | undefined {
  if (value === undefined) return undefined;
  if (!/^-?\d+$/.test(value) || Number(value) < min) {
    throw usageError(
      `--${name} wants a whole number${min > 0 ? ` from ${min}` : ""}, got "${value}"`,
    );
  }
  return Number(value);
}

/**
 * An option that is one of `known` (undefined when not given), or a usage error naming what
 * it takes: `--transport: expected websocket or http, got grpc`.
 */
export function choiceOption<T extends string>(
  name: string,
  value: string | undefined,
  known: readonly T[],
): T | undefined {
  if (value === undefined || (known as readonly string[]).includes(value)) return value as T;
  const wanted = known.length === 2 ? `${known[0]} or ${known[1]}` : known.join(", ");
  throw usageError(`--${name}: expected ${wanted}, got ${value}`);
}

/**
 * A comma-separated list option (`--agents claude,codex`) whose items must each be one of
 * `known`, or a usage error naming the first that is not (`what`: what an item is).
 */
export function listOption<T extends string>(
  name: string,
  value: string,
  known: readonly T[],
  what: string,
): T[] {
  const items = value.split(",").map((x) => x.trim()).filter(Boolean);
  const bad = items.find((x) => !(known as readonly string[]).includes(x));
  if (bad !== undefined) {
    throw usageError(`--${name}: unknown ${what} ${JSON.stringify(bad)} (${known.join(", ")})`);
  }
  return items as T[];
}

/**
 * Refuses (a usage error) recordings given more than once: the same directory under two
 * spellings (`rec rec`, `rec ./rec/`, a link to it). Their rows would be counted once per
 * spelling (`sql`'s union, an export sent twice) with nothing to say so.
 */
export function onceEach(paths: readonly string[]): void {
  const seen = new Map<string, string>();
  for (const p of paths) {
    let real = resolve(p);
    try {
      real = Deno.realPathSync(p);
    } catch { /* not there: said by whoever opens it */ }
    const first = seen.get(real);
    if (first === undefined) {
      seen.set(real, p);
      continue;
    }
    throw usageError(
      first === p
        ? `${p} is given twice: give each recording once (its rows would count twice)`
        : `${first} and ${p} are the same recording: give each once (its rows would count twice)`,
    );
  }
}

/**
 * The output directory a command was given (`--out`), as the user's path; undefined when none
 * was: the command makes a new one (newTimestampedDir) when it starts writing. One that is there
 * and is not a directory (a file) is an error, exit 2.
 */
export function outDirOption(value: string | undefined): string | undefined {
  // `--out "$DIR"` with DIR unset: not the directory the command runs from, nor its default
  if (value === "") throw usageError("--out wants a directory, got an empty string");
  if (value === undefined) return undefined;
  const out = userNewPath(value);
  // said before the command works for minutes, not when it comes to write
  let isFile = false;
  try {
    isFile = !Deno.statSync(out).isDirectory;
  } catch { /* not there yet: the command makes it */ }
  if (isFile) throw new CliError(`--out ${value} is not a directory`, 2);
  return out;
}

/** `recordings/<YYYYMMDD-HHMMSS>-<name>` in the project (UTC), for a command's output. */
export function timestampedDir(name: string, parent = `${PROJECT_ROOT}/recordings`): string {
  return stampedPath(name, parent);
}

/**
 * Makes a command's default output directory, `recordings/<YYYYMMDD-HHMMSS>-<name>`, and returns
 * it: one no other run has (two started in the same second: the second gets `-2`, as capture's
 * recordings do; kit/stamped_dir.ts makeNewDir). `mode`: 0o700 for a recording itself, as
 * capture makes one.
 */
export function newTimestampedDir(
  name: string,
  parent = `${PROJECT_ROOT}/recordings`,
  mode = 0o777,
): string {
  return makeNewDir(stampedPath(name, parent), mode);
}

const firstLine = (e: unknown) => (e instanceof Error ? e.message : String(e)).split("\n")[0];

/**
 * Runs an entry point and exits with its code: the number `fn` returns (0 if none), or the
 * error's: a CliError's own code (with the usage for usage errors), 1 for anything else.
 * Every error is one line, prefixed with the command's name. The command runs in the
 * directory the user ran it from, so relative paths are theirs.
 */
export async function runCommand(
  name: string,
  usage: string,
  fn: (args: string[]) => Promise<number | void> | number | void,
  args: string[] = Deno.args,
): Promise<never> {
  let code: number;
  try {
    try {
      Deno.chdir(userCwd());
    } catch (e) {
      throw new CliError(`cannot enter ${userCwd()} (${firstLine(e)})`);
    }
    code = (await fn(args)) ?? 0;
  } catch (e) {
    if (e instanceof HelpAsked) {
      console.log(usage);
      code = 0;
    } else if (e instanceof CliError) {
      console.error(`${name}: ${firstLine(e)}`);
      if (e.showUsage) console.error(usage);
      code = e.exitCode;
    } else {
      console.error(`${name}: ${firstLine(e)}`);
      if (Deno.env.get("SIGHTLINE_DEBUG")) console.error((e as Error).stack);
      code = 1;
    }
  }
  // stopped by a signal: the command's own end (its children killed) is not its exit code
  if (stopping) await stopping;
  Deno.exit(code);
}

// ------------------------------------------------------------------ stopping on signals

/** Set while a signal stops the command: it ends the process itself. */
let stopping: Promise<never> | null = null;

export const STOP_SIGNALS = ["SIGINT", "SIGTERM", "SIGHUP"] as const;
export type StopSignal = typeof STOP_SIGNALS[number];
const SIGNO: Record<StopSignal, number> = { SIGHUP: 1, SIGINT: 2, SIGTERM: 15 };

function signal(procs: Proc[], sig: Deno.Signal): void {
  for (const p of procs) {
    if (!alive(p)) continue;
    try {
      Deno.kill(p.pid, sig);
    } catch { /* gone meanwhile */ }
  }
}

/**
 * Makes this process the reaper of its orphaned descendants (PR_SET_CHILD_SUBREAPER), so a
 * process that daemonizes stays in its tree and is stopped with it. Best effort.
 */
export function becomeSubreaper(): void {
  try {
    const libc = Deno.dlopen("libc.so.6", {
      prctl: { parameters: ["i32", "u64", "u64", "u64", "u64"], result: "i32" },
    });
    libc.symbols.prctl(36, 1n, 0n, 0n, 0n);
    libc.close();
  } catch { /* without it, orphans that reparent to init are not followed */ }
}

/** Temporary paths being written, removed when a signal stops the command (removeOnStop). */
const stopRemovals = new Set<string>();

/**
 * Registers a temporary file or directory being written (a build directory, a spill directory, a
 * file renamed into place once whole) to be removed should a signal stop the command
 * (`stopOnSignals`) before it is done with it; the function returned forgets it (call it once the
 * path is renamed into place or removed).
 */
export function removeOnStop(path: string): () => void {
  stopRemovals.add(path);
  return () => stopRemovals.delete(path);
}

/**
 * Removes the directories `tempDirRemovedOnStop` made in `dir` (default: the system's temporary
 * directory) with `prefix` whose process has ended: left by one killed outright (SIGKILL, the
 * OOM killer), where no handler runs, they would pile up (an analysis' build directory holds a
 * half-built database and its spill files, gigabytes for a large recording). Those of a process
 * still running (another analysis at work) are left alone, and so are those made where this
 * /proc does not show the owner (another host, a container, another pid namespace: its
 * `procTag` differs) or named without one (an older Sightline). Returns the names removed.
 */
export function removeAbandoned(dir: string | undefined, prefix: string): string[] {
  const where = dir ?? Deno.env.get("TMPDIR") ?? "/tmp";
  const tag = procTag();
  const owner = /^([0-9a-f]{8}n\d+)-(\d+)\.(\d+)-/;
  const removed: string[] = [];
  let entries: Deno.DirEntry[];
  try {
    entries = [...Deno.readDirSync(where)];
  } catch {
    return removed; // nothing to look at: the caller's own make says what is wrong
  }
  for (const e of entries) {
    const m = e.name.startsWith(prefix) ? owner.exec(e.name.slice(prefix.length)) : null;
    if (!m || m[1] !== tag || !e.isDirectory) continue;
    if (alive({ pid: Number(m[2]), start: m[3] })) continue;
    try {
      Deno.removeSync(`${where}/${e.name}`, { recursive: true });
      removed.push(e.name);
    } catch { /* another process removing it too, or not ours to remove */ }
  }
  return removed;
}

/**
 * Makes a private temporary directory (0700, `Deno.makeTempDirSync`'s options) registered with
 * removeOnStop in the same synchronous step: made with the asynchronous call, a stop signal
 * handled before the call's result reached the code left the directory behind (seen with
 * `analyze`'s build directory when Ctrl-C came as it was made).
 */
export function tempDirRemovedOnStop(
  opts: Deno.MakeTempOptions,
): { path: string; forget: () => void } {
  // named for its owner, and for where its pid means it, so that the next on the same host and
  // in the same pid namespace can tell it abandoned (removeAbandoned)
  const me = procOf(Deno.pid);
  const tag = procTag();
  const path = Deno.makeTempDirSync({
    ...opts,
    prefix: `${opts.prefix ?? ""}${me && tag ? `${tag}-${me.pid}.${me.start}-` : ""}`,
  });
  const forget = removeOnStop(path);
  Deno.chmodSync(path, 0o700);
  return { path, forget };
}

/** Removes the temporary paths registered with removeOnStop (best effort). */
function removeRegistered(): void {
  for (const path of stopRemovals) {
    try {
      Deno.removeSync(path, { recursive: true });
    } catch { /* gone, or not ours to remove any more */ }
  }
  stopRemovals.clear();
}

export interface StopOptions {
  /** how long processes get to end after SIGTERM before they are killed; default 10 s */
  graceMs?: number;
  /** run after the processes are gone (close servers, remove temporary files) */
  cleanup?: () => Promise<void> | void;
  /** one line each (default stderr) */
  log?: (line: string) => void;
}

/**
 * Stops the command on SIGINT, SIGTERM or SIGHUP: sends SIGTERM to every process it started
 * (its whole tree, which this process reaps as a subreaper), waits for them up to `graceMs`,
 * kills what is left, runs `cleanup`, removes the temporary paths registered with
 * `removeOnStop` and exits with 128 + the signal's number. A second signal kills them all at
 * once, removes those paths and exits (the same signal within 250 ms of the first is its echo,
 * not a second: `signal_echo.ts`). Returns a function that removes the handlers.
 */
export function stopOnSignals(name: string, opts: StopOptions = {}): () => void {
  const log = opts.log ?? ((l: string) => console.error(l));
  const grace = opts.graceMs ?? 10_000;
  becomeSubreaper();
  let seen: Proc[] | null = null;
  const fresh = signalEchoFilter();
  const handler = (sig: StopSignal) => () => {
    // one Ctrl-C reaches a command under `deno task` twice (signal_echo.ts)
    if (!fresh(sig)) return;
    const code = 128 + SIGNO[sig];
    if (seen) {
      log(`${name}: ${sig} again: killing what it started`);
      signal([...seen, ...descendants()], "SIGKILL");
      removeRegistered();
      Deno.exit(code);
    }
    const procs = seen = descendants();
    log(
      procs.length
        ? `${name}: ${sig}: stopping ${procs.length} process(es) it started ` +
          `(send it again to kill them at once)`
        : `${name}: ${sig}: stopped`,
    );
    signal(procs, "SIGTERM");
    stopping = (async () => {
      const until = performance.now() + grace;
      while (performance.now() < until) {
        const left = [...procs, ...descendants()].filter(alive);
        if (!left.length) break;
        await new Promise((r) => setTimeout(r, 100));
      }
      const left = [...procs, ...descendants()].filter(alive);
      if (left.length) {
        log(`${name}: ${left.length} process(es) still running after ${grace} ms: killing them`);
        signal(left, "SIGKILL");
      }
      try {
        await opts.cleanup?.();
      } catch (e) {
        log(`${name}: cleaning up: ${firstLine(e)}`);
      }
      removeRegistered();
      return Deno.exit(code);
    })();
  };
  const handlers = STOP_SIGNALS.map((s) => [s, handler(s)] as const);
  for (const [s, h] of handlers) Deno.addSignalListener(s, h);
  return () => {
    for (const [s, h] of handlers) Deno.removeSignalListener(s, h);
  };
}
