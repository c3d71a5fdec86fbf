/**
 * A capture from start to end: checks the machine, starts the loader, hooks the TLS
 * libraries, launches (or joins) the traced processes, turns records into rows, flushes the
 * Arrow files every second, and writes the manifest and the summary.
 */
import { AttachManager, type Locator, preattachCandidates, whichSync } from "./attach.ts";
import { ArrowStreamWriter } from "../recording/arrow_writer.ts";
import type { TableDef } from "../kit/columns.ts";
import { Flag, Kind, KIND_NAMES, type SlEvent, waitStatus } from "./events.ts";
import { LoaderClient, LoaderError } from "./loader.ts";
import {
  type Manifest,
  MANIFEST_FILE,
  nsToIso,
  TOOL_NAME,
  TOOL_VERSION,
  writeManifest,
} from "../recording/manifest.ts";
import { connectRow, dnsRow, execRow, exitRow, fileRow, forkRow } from "./rows.ts";
import {
  CAPTURE_TABLES,
  fileTable,
  netTable,
  processTable,
  tlsTable,
} from "../recording/schema.ts";
import { Counters, startsRequest, summary } from "./status.ts";
import { ContextPairer } from "./conn_pairing.ts";
import { TlsAssembler } from "./tls_assembler.ts";
import { phase } from "./phase_log.ts";
import { PER_DIRECTION_CONTEXT } from "./tls_targets.ts";
import { type H2RedactorFactory, TlsStreams } from "./tls_streams.ts";

export const DEFAULT_MAX_TLS_BYTES = 1 << 20;

export interface CaptureOptions {
  /** the command to run; omit with pids/comm */
  cmd?: string[];
  pids?: number[];
  comm?: string;
  /** recording directory; default recordings/<time>-<name> in the project */
  out?: string;
  force?: boolean;
  maxTlsBytes?: number;
  keepSecrets?: boolean;
  /** stop processes until new binaries/libraries are inspected (default true) */
  gate?: boolean;
  /** directory the command runs in (default: INIT_CWD or the current directory) */
  cwd?: string;
  /** run the command as this user/group (default: SUDO_UID/SUDO_GID when set) */
  uid?: number;
  gid?: number;
  /** show the live status line: true/false, or undefined for "when it cannot disturb" */
  status?: boolean;
  quiet?: boolean;
  locator?: Locator;
  h2Redactor?: H2RedactorFactory;
  /** ends the capture (what Ctrl-C does in --pid/--comm mode) */
  signal?: AbortSignal;
  /** the kernel BTF the eBPF programs need (default /sys/kernel/btf/vmlinux) */
  btfPath?: string;
  /** extra environment for the command */
  env?: Record<string, string>;
  /** where messages go (default stderr) */
  log?: (line: string) => void;
}

export interface CaptureResult {
  dir: string;
  manifest: Manifest;
  /**
   * The loader detaches its probes after it has delivered everything, which takes the
   * kernel a second or two; this settles when it is gone (tests wait for it, the CLI not).
   */
  loaderExit: Promise<number>;
  /** what `deno task capture` exits with: the command's code, or 1 on a capture error */
  exitCode: number;
}

/** A user-facing failure: one line, and the exit code to leave with. */
export class CaptureError extends Error {
  constructor(message: string, readonly exitCode = 1) {
    super(message);
  }
}

const PROJECT_ROOT = new URL("..", import.meta.url).pathname.replace(/\/$/, "");

function defaultOutDir(opts: CaptureOptions): string {
  const d = new Date();
  const p = (n: number) => String(n).padStart(2, "0");
  const stamp = `${d.getFullYear()}${p(d.getMonth() + 1)}${p(d.getDate())}-` +
    `${p(d.getHours())}${p(d.getMinutes())}${p(d.getSeconds())}`;
  const name = opts.cmd?.[0]?.split("/").pop() ?? opts.comm ?? `pid${opts.pids?.[0]}`;
  return `${PROJECT_ROOT}/recordings/${stamp}-${name.replace(/[^\w.-]/g, "_")}`;
}

/** Creates the recording directory (0700); refuses a non-empty one unless `force`. */
function prepareOutDir(dir: string, force: boolean): void {
  let entries: string[] = [];
  try {
    entries = [...Deno.readDirSync(dir)].map((e) => e.name);
  } catch (e) {
    if (!(e instanceof Deno.errors.NotFound)) {
      throw new CaptureError(`cannot use --out ${dir}: ${(e as Error).message}`, 2);
    }
  }
  if (entries.length && !force) {
    throw new CaptureError(
      `--out ${dir} is not empty (${entries.length} entries); choose another or pass --force`,
      2,
    );
  }
  if (entries.length && force) {
    for (const f of [...CAPTURE_TABLES.map((t) => `${t.name}.arrow`), MANIFEST_FILE]) {
      try {
        Deno.removeSync(`${dir}/${f}`);
      } catch { /* not there */ }
    }
  }
  Deno.mkdirSync(dir, { recursive: true, mode: 0o700 });
}

function preflight(opts: CaptureOptions): string | undefined {
  if (Deno.uid() !== 0) {
    throw new CaptureError(
      "capture needs root (eBPF): run it with sudo; the command still runs as you",
      1,
    );
  }
  const btf = opts.btfPath ?? "/sys/kernel/btf/vmlinux";
  try {
    Deno.statSync(btf);
  } catch {
    throw new CaptureError(
      `this kernel has no BTF (${btf}): it must be built with CONFIG_DEBUG_INFO_BTF=y ` +
        "for Sightline's eBPF programs",
      1,
    );
  }
  if (!opts.cmd && !opts.pids?.length && !opts.comm) {
    throw new CaptureError("nothing to trace: give a command, --pid N or --comm NAME", 2);
  }
  if (opts.cmd) {
    if (!opts.cmd[0]) throw new CaptureError("empty command", 2);
    const resolved = whichSync(opts.cmd[0]);
    if (!resolved) {
      throw new CaptureError(`${opts.cmd[0]}: command not found`, 127);
    }
    return resolved;
  }
  for (const pid of opts.pids ?? []) {
    try {
      Deno.statSync(`/proc/${pid}`);
    } catch {
      throw new CaptureError(`--pid ${pid}: no such process`, 2);
    }
  }
  return undefined;
}

export async function run(opts: CaptureOptions): Promise<CaptureResult> {
  phase("run");
  const log = opts.log ?? ((l: string) => console.error(l));
  const cmdPath = preflight(opts);
  const maxTlsBytes = opts.maxTlsBytes ?? DEFAULT_MAX_TLS_BYTES;
  if (!Number.isInteger(maxTlsBytes) || maxTlsBytes < 1 || maxTlsBytes > 1 << 30) {
    throw new CaptureError("--max-tls-bytes must be an integer between 1 and 1073741824", 2);
  }
  const dir = (opts.out ?? defaultOutDir(opts)).replace(/\/$/, "");
  prepareOutDir(dir, opts.force ?? false);

  const cwd = opts.cwd ?? Deno.env.get("INIT_CWD") ?? Deno.cwd();
  const sudoUid = Deno.env.get("SUDO_UID");
  const sudoGid = Deno.env.get("SUDO_GID");
  const uid = opts.uid ?? (sudoUid ? Number(sudoUid) : undefined);
  const gid = opts.gid ?? (sudoGid ? Number(sudoGid) : undefined);
  const gate = opts.gate ?? true;

  const writers = {
    process: ArrowStreamWriter.create(`${dir}/process.arrow`, processTable),
    file: ArrowStreamWriter.create(`${dir}/file.arrow`, fileTable),
    net: ArrowStreamWriter.create(`${dir}/net.arrow`, netTable),
    tls: ArrowStreamWriter.create(`${dir}/tls.arrow`, tlsTable),
  };
  const allWriters: Pick<ArrowStreamWriter<TableDef>, "flush" | "close" | "abandon">[] = Object
    .values(writers);

  const startNs = BigInt(Date.now()) * 1_000_000n;
  const manifest: Manifest = {
    format: "sightline-recording",
    format_version: 1,
    tool: { name: TOOL_NAME, version: TOOL_VERSION },
    complete: false,
    mode: opts.cmd ? "command" : opts.pids?.length ? "pid" : "comm",
    command: opts.cmd ?? null,
    target_pids: opts.pids ?? [],
    target_comm: opts.comm ?? null,
    cwd,
    uid: uid ?? Deno.uid() ?? 0,
    host: Deno.hostname(),
    kernel: Deno.osRelease(),
    started_at: nsToIso(startNs),
    started_ns: String(startNs),
    ended_at: null,
    ended_ns: null,
    exit_code: null,
    exit_signal: null,
    root_pid: null,
    options: { max_tls_bytes: maxTlsBytes, keep_secrets: opts.keepSecrets ?? false, gate },
    tables: {},
    tls_bytes: 0,
    drops: {},
    missed_runs: 0,
    gated_processes: 0,
    attach: { hooked: [], not_hooked: [], unresolved: [] },
    warnings: [],
    errors: [],
  };
  /** set once the loader runs (records before that have no gate to handle) */
  const hooks: { attach?: AttachManager } = {};
  const refreshManifest = () => {
    for (const [name, w] of Object.entries(writers)) {
      manifest.tables[name] = {
        file: `${name}.arrow`,
        rows: w.rowsWritten + w.pending,
        bytes: w.bytesWritten,
      };
    }
    manifest.attach = hooks.attach?.report() ?? manifest.attach;
  };
  writeManifest(dir, manifest);

  // ---- record handling
  const counters = new Counters();
  let offset = 0n; // CLOCK_BOOTTIME -> wall clock
  const clock = (boot: bigint) => boot + offset;
  let writeError: string | undefined;
  const lastExec = new Map<number, string>();
  let childStatus: number | undefined;
  let execErrno = 0;
  const gateTasks = new Set<Promise<void>>();

  const streams = new TlsStreams(
    { keepSecrets: opts.keepSecrets ?? false, h2Redactor: opts.h2Redactor },
    ({ call, data, lost }) => {
      const info = hooks.attach?.cookie(call.target);
      if (call.dir === 0 && startsRequest(data)) counters.httpRequests++;
      counters.tlsBytes += call.total;
      manifest.tls_bytes += data.length;
      writers.tls.append({
        ts_ns: clock(call.ts),
        pid: call.pid,
        tid: call.tid,
        conn_id: BigInt.asIntN(64, call.conn),
        ctx_id: BigInt.asIntN(64, call.ctx ?? call.conn),
        conn_gen: call.gen,
        direction: call.dir === 0 ? "write" : "read",
        seq: BigInt.asIntN(64, call.seq),
        len: BigInt(call.total),
        data,
        truncated: call.truncated,
        lost: BigInt(lost),
        lib: info?.lib ?? "?",
        fn: info?.fn ?? "?",
      });
    },
  );
  const pairer = new ContextPairer((c) => streams.push(c));
  const assembler = new TlsAssembler(maxTlsBytes, (c) => {
    const fn = hooks.attach?.cookie(c.target)?.fn;
    if (fn && PER_DIRECTION_CONTEXT.has(fn)) pairer.push(c);
    else streams.push(c);
  });

  const earlyGates: (SlEvent & { kind: 9 })[] = [];
  const handleGate = (ev: SlEvent & { kind: 9 }) => {
    const t = hooks.attach!.gate({
      pid: ev.pid,
      dev: ev.dev,
      ino: ev.ino,
      fd: ev.fd,
      reason: ev.reason,
      stopped: (ev.hflags & Flag.STOPPED) !== 0,
    }, lastExec.get(ev.pid)).catch((e) => {
      manifest.warnings.push(`attach for pid ${ev.pid}: ${(e as Error).message}`);
    });
    gateTasks.add(t);
    t.finally(() => gateTasks.delete(t));
  };

  const onEvent = (ev: SlEvent) => {
    if (writeError) return;
    counters.events++;
    switch (ev.kind) {
      case Kind.READY:
        offset = ev.bootToRealNs;
        manifest.root_pid = ev.childPid || (opts.pids?.[0] ?? null);
        break;
      case Kind.FORK:
        writers.process.append(forkRow(ev, clock));
        break;
      case Kind.EXEC:
        lastExec.set(ev.pid, ev.filename);
        writers.process.append(execRow(ev, clock));
        break;
      case Kind.EXIT:
        lastExec.delete(ev.pid);
        writers.process.append(exitRow(ev, clock));
        break;
      case Kind.FILE:
        writers.file.append(fileRow(ev, clock));
        break;
      case Kind.NET:
        writers.net.append(connectRow(ev, clock));
        break;
      case Kind.DNS:
        writers.net.append(dnsRow(ev, clock));
        break;
      case Kind.TLS:
        assembler.chunk({ ...ev, flags: ev.hflags });
        break;
      case Kind.TLS_FREE:
        assembler.free(ev.pid, ev.conn);
        break;
      case Kind.CTXFD:
        pairer.contextSocket(ev.pid, ev.ctx, ev.fd, ev.dir);
        break;
      case Kind.FDCLOSE:
        pairer.socketClosed(ev.pid, ev.fd);
        break;
      case Kind.GATE:
        if (hooks.attach) handleGate(ev);
        else earlyGates.push(ev); // before the attach layer exists (--pid/--comm start-up)
        break;
      case Kind.STATS: {
        let total = 0;
        ev.drops.forEach((n, k) => {
          if (n > 0n) manifest.drops[KIND_NAMES[k] ?? String(k)] = Number(n);
          total += Number(n);
        });
        counters.drops = total;
        manifest.missed_runs = Number(ev.misses);
        manifest.gated_processes = Number(ev.gated);
        break;
      }
      case Kind.CHILD:
        childStatus = ev.status;
        execErrno = ev.execErrno;
        break;
      case Kind.LOG:
        manifest.warnings.push(ev.text);
        break;
    }
  };

  // ---- start the loader
  let loader: LoaderClient;
  try {
    loader = await LoaderClient.start({
      maxTlsBytes,
      gate,
      comm: opts.comm,
      pids: opts.pids,
      cmd: opts.cmd,
      uid,
      gid,
      cwd,
      env: opts.env,
    }, onEvent);
    phase("loader connected");
    await loader.ready;
    phase("loader ready");
  } catch (e) {
    for (const w of allWriters) w.abandon();
    const msg = e instanceof LoaderError ? e.message : (e as Error).message;
    manifest.errors.push(msg);
    writeManifest(dir, manifest);
    throw new CaptureError(msg, 1);
  }
  const attach = hooks.attach = new AttachManager(loader, opts.locator);
  for (const ev of earlyGates.splice(0)) handleGate(ev);

  // Hook what we know about before the command runs; the gate covers the rest.
  await Promise.all(preattachCandidates(cmdPath).map((p) => attach.ensure(p, "preattach")));
  phase("preattached");

  // ---- periodic flush, live status, signals
  const interactive = Deno.stdin.isTerminal() && !!opts.cmd;
  const showStatus = !opts.quiet &&
    (opts.status ?? (Deno.stderr.isTerminal() && !interactive));
  if (!opts.quiet && Deno.stderr.isTerminal()) {
    log(`sightline: recording to ${dir}` + (showStatus ? "" : " (live status: --status)"));
  }
  const flushAll = () => {
    if (writeError) return;
    try {
      for (const w of allWriters) w.flush();
      refreshManifest();
      writeManifest(dir, manifest);
    } catch (e) {
      writeError = (e as Error).message;
    }
  };
  const timer = setInterval(() => {
    pairer.tick();
    flushAll();
    if (writeError) {
      loader.stop();
      return;
    }
    if (showStatus) Deno.stderr.writeSync(new TextEncoder().encode(`\r\x1b[K${counters.line()}`));
  }, 1000);

  let interrupts = 0;
  const onSigint = () => {
    interrupts++;
    // With a command, the terminal's Ctrl-C reached it too: it decides. A second one, or
    // --pid/--comm mode, ends the capture.
    if (!opts.cmd || interrupts > 1) loader.stop();
  };
  const onSigterm = () => {
    if (opts.cmd) loader.process.kill("SIGTERM");
    else loader.stop();
  };
  Deno.addSignalListener("SIGINT", onSigint);
  Deno.addSignalListener("SIGTERM", onSigterm);
  const onAbort = () => loader.stop();
  opts.signal?.addEventListener("abort", onAbort);
  if (opts.signal?.aborted) onAbort();

  if (opts.cmd) await loader.command("go");
  phase("command released");

  // ---- wait for the end
  await loader.done;
  phase("stream ended");
  await Promise.all([...gateTasks]);
  clearInterval(timer);
  Deno.removeSignalListener("SIGINT", onSigint);
  Deno.removeSignalListener("SIGTERM", onSigterm);
  opts.signal?.removeEventListener("abort", onAbort);
  if (showStatus) Deno.stderr.writeSync(new TextEncoder().encode("\r\x1b[K"));

  assembler.finishAll();
  pairer.finish();
  streams.finish();
  let closeError: string | undefined;
  for (const w of allWriters) {
    try {
      if (writeError) w.abandon();
      else w.close();
    } catch (e) {
      closeError ??= (e as Error).message;
      w.abandon();
    }
  }
  writeError ??= closeError;

  const endNs = BigInt(Date.now()) * 1_000_000n;
  manifest.ended_at = nsToIso(endNs);
  manifest.ended_ns = String(endNs);
  let exitCode = 0;
  if (execErrno) {
    const what = execErrno === 2 ? "command not found" : `cannot execute (errno ${execErrno})`;
    manifest.errors.push(`${opts.cmd?.[0]}: ${what}`);
    exitCode = execErrno === 2 ? 127 : 126;
  } else if (childStatus !== undefined && childStatus >= 0) {
    const { code, signal } = waitStatus(childStatus);
    manifest.exit_code = code;
    manifest.exit_signal = signal;
    exitCode = code ?? 128 + (signal ?? 0);
  }
  if (writeError) {
    manifest.errors.push(`writing the recording failed: ${writeError}`);
    exitCode = exitCode || 1;
  }
  manifest.complete = !writeError;
  refreshManifest();
  try {
    writeManifest(dir, manifest);
  } catch (e) {
    // the disk may be full: the Arrow files up to the last flush stay readable
    manifest.errors.push(`writing manifest.json failed: ${(e as Error).message}`);
  }
  phase("recording closed");
  if (!opts.quiet) log(summary(dir, manifest));
  if (writeError || execErrno) await loader.process.status;
  if (writeError) {
    throw new CaptureError(
      `writing the recording failed (${writeError}); what was flushed before stays readable in ${dir}`,
      exitCode || 1,
    );
  }
  if (execErrno) throw new CaptureError(manifest.errors.at(-1)!, exitCode);
  return { dir, manifest, exitCode, loaderExit: loader.process.status.then((s) => s.code) };
}
