/**
 * The start of a capture, kept light so that it runs before the heavy modules load: checks
 * the machine and the options, and starts the loader, which loads and attaches the eBPF
 * programs while the rest of the capture's code is still being loaded. recorder.ts takes it
 * from there. Nothing here (or in what it imports) may import a node: module: the first one
 * costs Deno ~70 ms of setting up its Node compatibility layer.
 */
import { filePath } from "../kit/file_path.ts";
import type { Locator } from "./attach.ts";
import { LoaderClient, type LoaderOptions } from "./loader.ts";
import { phase } from "./phase_log.ts";
import type { H2RedactorFactory } from "./tls_streams.ts";
import { whichSync, whyNotRunnable } from "./which.ts";
import { makeNewDir, timestampedDir } from "../kit/stamped_dir.ts";
import { CliError } from "../kit/cli_error.ts";
import { sudoIdentity } from "./sudo_identity.ts";
import { type SignalSource, type StartSignals, startSignals } from "./capture_signals.ts";
import type { ResidentInfo } from "../recording/manifest.ts";

export const DEFAULT_MAX_TLS_BYTES = 1 << 20;

export interface CaptureOptions {
  /** the command to run; omit with pids/comm */
  cmd?: string[];
  pids?: number[];
  comm?: string;
  /** recording directory; default a new recordings/<YYYYMMDD-HHMMSS>-<name>[-N] in the project */
  out?: string;
  force?: boolean;
  maxTlsBytes?: number;
  keepSecrets?: boolean;
  /** stop processes until new binaries/libraries are inspected (default true) */
  gate?: boolean;
  /** record pipes and unix sockets that carry JSON-RPC, as ipc.arrow (default true) */
  ipc?: boolean;
  /** directory the command runs in (default: INIT_CWD or the current directory) */
  cwd?: string;
  /** run the command as this user/group (default: SUDO_UID/SUDO_GID when set; in a session,
   * always given: its client's) */
  uid?: number;
  gid?: number;
  /** show the live status line: true/false, or undefined for "when it cannot disturb" */
  status?: boolean;
  quiet?: boolean;
  locator?: Locator;
  /** where what is learnt of files is kept across captures (inspections, the files with nothing
   * to hook, the locator's answers; `--cache-dir`): DIR/inspect and DIR/locate; default the
   * project's .cache */
  cacheDir?: string;
  h2Redactor?: H2RedactorFactory;
  /** ends the capture (what Ctrl-C does in --pid/--comm mode) */
  signal?: AbortSignal;
  /** the kernel BTF the eBPF programs need (default /sys/kernel/btf/vmlinux) */
  btfPath?: string;
  /** extra environment for the command */
  env?: Record<string, string>;
  /** a resident capture's session (resident_server.ts): the command's whole environment, the
   * client whose stdin/stdout/stderr it gets, the signals the client passed on (instead of
   * this process's), its terminal's resizes (SIGWINCH, for the command's process group), and
   * what the manifest says of the resident capture */
  served?: {
    env: Record<string, string>;
    clientPid: number;
    /** the client's start time (/proc/PID/stat), which names it with its pid */
    clientStart: number;
    signals: SignalSource;
    resizes?: (on: () => void) => () => void;
    resident: ResidentInfo;
    /** starts the session's loader: a session of the resident capture's kept loader
     * (kept_loader.ts); default a loader of its own */
    startLoader?: (o: LoaderOptions) => Promise<LoaderClient>;
  };
  /** the loader to run (default bpf/build/sightline-loader) */
  loaderPath?: string;
  /** where messages go (default stderr) */
  log?: (line: string) => void;
  /** sees the loader's record stream, byte for byte (tests/fixtures/capture/record_stream.ts) */
  loaderTap?: (bytes: Uint8Array) => void;
}

const PROJECT_ROOT = filePath("..", import.meta.url).replace(/\/$/, "");

/**
 * A new `recordings/<YYYYMMDD-HHMMSS>-<name>` (UTC, as kit/stamped_dir.ts names every command's
 * output) in the project, 0700: `-2`, `-3`, ... after the name when a capture started in the
 * same second has it already.
 */
function makeDefaultOutDir(opts: CaptureOptions): string {
  const name = opts.cmd?.[0]?.split("/").pop() ?? opts.comm ?? `pid${opts.pids?.[0]}`;
  const dir = timestampedDir(name, `${PROJECT_ROOT}/recordings`);
  try {
    return makeNewDir(dir, 0o700);
  } catch (e) {
    throw new CliError(`cannot make ${dir}: ${(e as Error).message}`, 1);
  }
}

/**
 * Creates the recording directory (0700); refuses a non-empty one unless `force`. Returns
 * whether it held something (the recorder then removes an earlier recording's files).
 */
function prepareOutDir(dir: string, force: boolean): boolean {
  let entries: string[] = [];
  try {
    entries = [...Deno.readDirSync(dir)].map((e) => e.name);
  } catch (e) {
    if (!(e instanceof Deno.errors.NotFound)) {
      throw new CliError(`cannot use --out ${dir}: ${(e as Error).message}`, 2);
    }
  }
  if (entries.length && !force) {
    throw new CliError(
      `--out ${dir} is not empty (${entries.length} entries); choose another or pass --force`,
      2,
    );
  }
  try {
    Deno.mkdirSync(dir, { recursive: true, mode: 0o700 });
  } catch (e) {
    throw new CliError(`cannot use --out ${dir}: ${(e as Error).message}`, 2);
  }
  return entries.length > 0;
}

/**
 * A cache directory given (`--cache-dir`, SIGHTLINE_CACHE_DIR) must take what the capture
 * learns: its `inspect` and `locate` directories are made (0700) and written to once, else a
 * one-line error before anything starts (a cache the user named and that silently never fills
 * would only make every capture slower). Well under a millisecond.
 */
function checkCacheDir(base: string): void {
  for (const sub of ["inspect", "locate"]) {
    const dir = `${base.replace(/\/+$/, "")}/${sub}`;
    try {
      Deno.mkdirSync(dir, { recursive: true, mode: 0o700 });
      const probe = `${dir}/.writable.${Deno.pid}`;
      Deno.writeFileSync(probe, new Uint8Array(0), { mode: 0o600 });
      Deno.removeSync(probe);
    } catch (e) {
      throw new CliError(
        `cannot write the cache directory ${base} (--cache-dir or SIGHTLINE_CACHE_DIR): ` +
          (e as Error).message,
        2,
      );
    }
  }
}

function preflight(opts: CaptureOptions): string | undefined {
  // options that contradict each other: usage, said before anything about the machine
  if (opts.cmd && (opts.pids?.length || opts.comm)) {
    // the loader would trace both: `--pid 1 -- CMD` would follow every process on the machine
    throw new CliError(
      `give a command or ${opts.pids?.length ? "--pid N" : "--comm NAME"}, not both`,
      2,
    );
  }
  if (opts.pids?.length && opts.comm) {
    // the usage's `--pid N | --comm NAME`: a capture follows one of them (manifest.json's mode)
    throw new CliError("give --pid N or --comm NAME, not both", 2);
  }
  if (opts.status && opts.quiet) {
    throw new CliError("--status and --quiet contradict each other: give one", 2);
  }
  if (Deno.uid() !== 0) {
    throw new CliError(
      "capture needs root (eBPF): run it with sudo; the command still runs as you",
      1,
    );
  }
  const btf = opts.btfPath ?? "/sys/kernel/btf/vmlinux";
  try {
    Deno.statSync(btf);
  } catch {
    throw new CliError(
      `this kernel has no BTF (${btf}): it must be built with CONFIG_DEBUG_INFO_BTF=y ` +
        "for Sightline's eBPF programs",
      1,
    );
  }
  if (!opts.cmd && !opts.pids?.length && !opts.comm) {
    throw new CliError("nothing to trace: give a command, --pid N or --comm NAME", 2);
  }
  if (opts.cmd) {
    if (!opts.cmd[0]) throw new CliError("empty command", 2);
    // (a session of a resident capture: looked up in its client's PATH, as the loader execs it)
    const path = opts.served ? opts.served.env.PATH ?? "" : undefined;
    const resolved = whichSync(opts.cmd[0], path);
    if (!resolved) {
      const { message, code } = whyNotRunnable(opts.cmd[0], path);
      throw new CliError(message, code);
    }
    return resolved;
  }
  for (const pid of opts.pids ?? []) {
    try {
      Deno.statSync(`/proc/${pid}`);
    } catch {
      throw new CliError(`--pid ${pid}: no such process`, 2);
    }
  }
  return undefined;
}

/** SUDO_UID/SUDO_GID of this process's environment, checked (sudo_identity.ts). */
function ownIdentity() {
  try {
    return sudoIdentity(Deno.env.toObject());
  } catch (e) {
    throw new CliError((e as Error).message, 2);
  }
}

/** What launch() decided and started. */
export interface Launched {
  /** the command's resolved path */
  cmdPath?: string;
  /** the recording directory, and whether it held an earlier recording (--force) */
  dir: string;
  reused: boolean;
  cwd: string;
  uid?: number;
  gid?: number;
  gate: boolean;
  ipc: boolean;
  maxTlsBytes: number;
  /** the loader, once it has connected (it loads and attaches the programs meanwhile) */
  loader: Promise<LoaderClient>;
  /** the capture's signals from before the loader started: one that comes before the command
   * is released interrupts the start (recorder.ts) */
  signals: StartSignals;
}

/**
 * Checks the machine and the options (a CliError, before anything starts, for every bad
 * input) and starts the loader.
 */
export function launch(opts: CaptureOptions): Launched {
  const cmdPath = preflight(opts);
  // the user the command runs as: given (a session: its client's, never this process's), or
  // the one sudo names here (none: root, as this process)
  const own = opts.uid === undefined && !opts.served ? ownIdentity() : undefined;
  const uid = opts.uid ?? own?.uid;
  const gid = opts.gid ?? own?.gid;
  const maxTlsBytes = opts.maxTlsBytes ?? DEFAULT_MAX_TLS_BYTES;
  if (!Number.isInteger(maxTlsBytes) || maxTlsBytes < 1 || maxTlsBytes > 1 << 30) {
    throw new CliError("--max-tls-bytes must be an integer between 1 and 1073741824", 2);
  }
  if (opts.cacheDir !== undefined) checkCacheDir(opts.cacheDir);
  const dir = opts.out === undefined ? makeDefaultOutDir(opts) : opts.out.replace(/\/$/, "");
  const reused = opts.out === undefined ? false : prepareOutDir(dir, opts.force ?? false);

  const cwd = opts.cwd ?? Deno.env.get("INIT_CWD") ?? Deno.cwd();
  const gate = opts.gate ?? true;
  const ipc = opts.ipc ?? true;
  // from here on a signal is the capture's to answer (an interrupted start ends in order)
  const signals = startSignals(opts.served?.signals);
  const start = opts.served?.startLoader ?? LoaderClient.start;
  const loader = start({
    maxTlsBytes,
    gate,
    ipc,
    comm: opts.comm,
    pids: opts.pids,
    cmd: opts.cmd,
    uid,
    gid,
    cwd,
    env: opts.env,
    commandEnv: opts.served?.env,
    stdioOf: opts.served?.clientPid,
    stdioStart: opts.served?.clientStart,
    tap: opts.loaderTap,
    loaderPath: opts.loaderPath,
  });
  loader.catch(() => {}); // the recorder reports it
  phase("loader started");
  return { cmdPath, dir, reused, cwd, uid, gid, gate, ipc, maxTlsBytes, loader, signals };
}
