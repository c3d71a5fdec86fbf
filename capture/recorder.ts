/**
 * A capture from start to end: takes over from launch() (which checked the machine and
 * started the loader), hooks the TLS libraries, launches (or joins) the traced processes,
 * turns records into rows, flushes the Arrow files every second, and writes the manifest and
 * the summary. ipc.arrow (pipes and unix sockets carrying JSON-RPC) is written unless --no-ipc.
 */
import { AttachManager, preattachCandidates } from "./attach.ts";
import { ArrowStreamWriter } from "../recording/arrow_writer.ts";
import type { TableDef } from "../kit/columns.ts";
import { Flag, Kind, KIND_NAMES, Missing, type SlEvent, waitStatus } from "./events.ts";
import { type LoaderClient, LoaderError } from "./loader.ts";
import { CaptureError, type CaptureOptions, launch, type Launched } from "./launch.ts";
import {
  type Manifest,
  MANIFEST_FILE,
  nsToIso,
  TOOL_NAME,
  TOOL_VERSION,
  writeManifest,
} from "../recording/manifest.ts";
import { dnsRow, execRow, exitRow, fileRow, forkRow, netRow, privilegeRow } from "./rows.ts";
import {
  CAPTURE_TABLES,
  type FileRow,
  fileTable,
  ipcTable,
  type NetRow,
  netTable,
  OPTIONAL_TABLES,
  privilegeTable,
  processTable,
  tlsTable,
} from "../recording/schema.ts";
import {
  blindSpotsOf,
  UNKNOWN_HOOKS,
  uringNotDecoded,
  uringOpName,
} from "../recording/blind_spots.ts";
import { probeKernelHooks } from "./kernel_hooks.ts";
import { IpcAssembler, IpcRows } from "./ipc_streams.ts";
import { Counters, startsRequest, summary } from "./status.ts";
import { ContextPairer } from "./conn_pairing.ts";
import { HookVerifier } from "./hook_verifier.ts";
import { TlsAssembler } from "./tls_assembler.ts";
import { phase } from "./phase_log.ts";
import { alive, procOf } from "../kit/cli.ts";
import { PER_DIRECTION_CONTEXT } from "./tls_targets.ts";
import { TlsStreams } from "./tls_streams.ts";

export { CaptureError, type CaptureOptions, DEFAULT_MAX_TLS_BYTES } from "./launch.ts";

export interface CaptureResult {
  dir: string;
  manifest: Manifest;
  /**
   * The loader detaches its probes after it has delivered everything (tens of milliseconds:
   * one grace period); this settles when it is gone (tests wait for it, the CLI not).
   */
  loaderExit: Promise<number>;
  /** what `deno task capture` exits with: the command's code, or 1 on a capture error */
  exitCode: number;
}

/**
 * Runs a capture to its end. `launched` is what launch() started (main.ts calls it before it
 * loads this module); without it, run launches here.
 */
export async function run(opts: CaptureOptions, launched?: Launched): Promise<CaptureResult> {
  const started = launched ?? launch(opts);
  const { cmdPath, dir, reused, cwd, uid, gate, ipc, maxTlsBytes } = started;
  phase("run");
  const log = opts.log ?? ((l: string) => console.error(l));
  if (reused) {
    const tables = [...CAPTURE_TABLES, ...OPTIONAL_TABLES];
    for (const f of [...tables.map((t) => `${t.name}.arrow`), MANIFEST_FILE]) {
      try {
        Deno.removeSync(`${dir}/${f}`);
      } catch { /* not there */ }
    }
  }

  const writers = {
    process: ArrowStreamWriter.create(`${dir}/process.arrow`, processTable),
    file: ArrowStreamWriter.create(`${dir}/file.arrow`, fileTable),
    net: ArrowStreamWriter.create(`${dir}/net.arrow`, netTable),
    tls: ArrowStreamWriter.create(`${dir}/tls.arrow`, tlsTable),
    privilege: ArrowStreamWriter.create(`${dir}/privilege.arrow`, privilegeTable),
    ...(ipc ? { ipc: ArrowStreamWriter.create(`${dir}/ipc.arrow`, ipcTable) } : {}),
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
    options: { max_tls_bytes: maxTlsBytes, keep_secrets: opts.keepSecrets ?? false, gate, ipc },
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
  // io_uring: requests by opcode (from the loader's stats), whether its tracepoints attached
  const uring = { requests: {} as Record<string, number>, recorded: {} as Record<string, number> };
  let uringAttached = true;
  let noCompletion = 0;
  // the hooks this kernel offers that the capture does not use, for the blind spots
  let kernelHooks = UNKNOWN_HOOKS;
  const hooksProbed = probeKernelHooks().then((h) => {
    kernelHooks = h;
  });
  const refreshManifest = () => {
    for (const [name, w] of Object.entries(writers)) {
      manifest.tables[name] = {
        file: `${name}.arrow`,
        rows: w.rowsWritten + w.pending,
        bytes: w.bytesWritten,
      };
    }
    hooks.attach?.applyChecks(verifier.checks());
    manifest.attach = hooks.attach?.report() ?? manifest.attach;
    manifest.io_uring = {
      ...uring,
      not_decoded: uringNotDecoded(uring),
      no_completion: noCompletion,
    };
    manifest.blind_spots = blindSpotsOf(uring, uringAttached, kernelHooks);
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
  // every hook's first bytes per connection must look like plaintext; a wrong one is dropped
  const verifier = new HookVerifier((target, check) => {
    const info = hooks.attach?.cookie(target);
    manifest.warnings.push(
      `hook ${info?.fn ?? target} in ${info?.lib ?? "?"} saw ciphertext, not plaintext ` +
        `(${check.evidence}): its data is dropped and it is detached`,
    );
    const t = hooks.attach!.dropHook(target).then((what) => {
      if (what) manifest.warnings.push(`hook ${what}`);
    }).catch((e) => {
      manifest.warnings.push(`detaching hook ${target}: ${(e as Error).message}`);
    });
    gateTasks.add(t);
    t.finally(() => gateTasks.delete(t));
  });
  const assembler = new TlsAssembler(maxTlsBytes, (c) => {
    if (!verifier.check(c)) return;
    const fn = hooks.attach?.cookie(c.target)?.fn;
    if (fn && PER_DIRECTION_CONTEXT.has(fn)) pairer.push(c);
    else streams.push(c);
  });

  // io_uring requests recorded at submission, waiting for their result (SL_K_URING_DONE)
  const awaiting = new Map<
    bigint,
    { table: "file"; row: FileRow } | { table: "net"; row: NetRow }
  >();
  const finishAwaited = () => {
    for (const w of awaiting.values()) {
      noCompletion++;
      if (w.table === "file") writers.file.append(w.row);
      else writers.net.append(w.row);
    }
    awaiting.clear();
  };

  const ipcRows = new IpcRows(clock, { keepSecrets: opts.keepSecrets });
  const ipcCalls = new IpcAssembler(maxTlsBytes, (c) => ipcRows.push(c));
  /** ipc rows go out at each flush, once their peer is known (ipc_streams.ts) */
  const ipcDamage = { cut: 0, lost: 0n };
  const appendIpc = (all: boolean) => {
    for (const row of ipcRows.take(all)) {
      if (row.truncated) ipcDamage.cut++;
      ipcDamage.lost += row.lost;
      writers.ipc?.append(row);
    }
  };

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
        uringAttached = (ev.missing & Missing.URING) === 0;
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
        if (ev.hflags & Flag.PENDING) {
          awaiting.set(ev.uringId, { table: "file", row: fileRow(ev, clock) });
        } else writers.file.append(fileRow(ev, clock));
        break;
      case Kind.NET:
        if (ev.hflags & Flag.PENDING) {
          awaiting.set(ev.uringId, { table: "net", row: netRow(ev, clock) });
        } else writers.net.append(netRow(ev, clock));
        break;
      case Kind.DNS:
        writers.net.append(dnsRow(ev, clock));
        break;
      case Kind.PRIV:
        writers.privilege.append(privilegeRow(ev, clock));
        break;
      case Kind.URING_DONE: {
        const w = awaiting.get(ev.uringId);
        if (!w) break;
        awaiting.delete(ev.uringId);
        w.row.ret = BigInt(ev.res);
        w.row.ts_ns = clock(ev.ts);
        if (w.table === "file") writers.file.append(w.row);
        else writers.net.append(w.row);
        break;
      }
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
      case Kind.IPC:
        ipcCalls.chunk(ev);
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
        ev.uringSeen.forEach((n, op) => {
          if (n > 0n) uring.requests[uringOpName(op)] = Number(n);
        });
        ev.uringRecorded.forEach((n, op) => {
          if (n > 0n) uring.recorded[uringOpName(op)] = Number(n);
        });
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
    loader = await started.loader;
    loader.listen(onEvent);
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
    if (!writeError) appendIpc(false);
    flushAll();
    if (writeError) {
      loader.stop();
      return;
    }
    if (showStatus) Deno.stderr.writeSync(new TextEncoder().encode(`\r\x1b[K${counters.line()}`));
  }, 1000);

  // A signal more than the capture needs (a second SIGTERM or SIGHUP, a third SIGINT)
  // forces it: the command it started and the loader are killed; the files keep what was
  // flushed.
  let forced = false;
  const force = () => {
    forced = true;
    for (
      const kill of [
        () => opts.cmd && manifest.root_pid && Deno.kill(manifest.root_pid, "SIGKILL"),
        () => loader.process.kill("SIGKILL"),
      ]
    ) {
      try {
        kill();
      } catch { /* already gone */ }
    }
  };
  let interrupts = 0;
  const onSigint = () => {
    interrupts++;
    // With a command, the terminal's Ctrl-C reached it too: it decides. A second one, or
    // --pid/--comm mode, ends the capture.
    if (interrupts > 2) force();
    else if (!opts.cmd || interrupts > 1) loader.stop();
  };
  let terms = 0;
  const onSigterm = () => {
    if (++terms > 1) force();
    else if (opts.cmd) loader.process.kill("SIGTERM");
    else loader.stop();
  };
  Deno.addSignalListener("SIGINT", onSigint);
  Deno.addSignalListener("SIGTERM", onSigterm);
  Deno.addSignalListener("SIGHUP", onSigterm);
  const onAbort = () => loader.stop();
  opts.signal?.addEventListener("abort", onAbort);
  if (opts.signal?.aborted) onAbort();

  if (opts.cmd) await loader.command("go");
  phase("command released");

  // ---- wait for the end
  await loader.done;
  phase("stream ended");
  const lost = forced ? undefined : await loaderLost(
    loader,
    opts.cmd ? childStatus !== undefined : undefined,
  );
  if (lost && opts.cmd && manifest.root_pid) await endOrphan(manifest.root_pid);
  await Promise.all([...gateTasks]);
  clearInterval(timer);
  Deno.removeSignalListener("SIGINT", onSigint);
  Deno.removeSignalListener("SIGTERM", onSigterm);
  Deno.removeSignalListener("SIGHUP", onSigterm);
  opts.signal?.removeEventListener("abort", onAbort);
  if (showStatus) Deno.stderr.writeSync(new TextEncoder().encode("\r\x1b[K"));

  await opts.h2Redactor?.ready?.();
  finishAwaited();
  assembler.finishAll();
  pairer.finish();
  streams.finish();
  ipcCalls.finishAll();
  if (!writeError) appendIpc(true);
  // shown, never silent: JSON-RPC messages in these calls are cut or have holes
  if (ipcDamage.cut) {
    manifest.warnings.push(
      `ipc: ${ipcDamage.cut} pipe/socket calls cut at --max-tls-bytes ${maxTlsBytes}`,
    );
  }
  if (ipcDamage.lost) {
    manifest.warnings.push(
      `ipc: ${ipcDamage.lost} bytes of JSON-RPC lost (ring buffer full, or unreadable memory)`,
    );
  }
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
  if (lost) {
    manifest.errors.push(
      lost +
        (opts.cmd && manifest.root_pid
          ? `; the command (pid ${manifest.root_pid}) was ended, as nothing recorded it any more`
          : ""),
    );
    exitCode = exitCode || 1;
  }
  manifest.complete = !writeError && !lost;
  // the probe takes milliseconds; a kernel that hangs it leaves the hooks "not probed"
  let probeTimer: ReturnType<typeof setTimeout> | undefined;
  await Promise.race([
    hooksProbed,
    new Promise((r) => probeTimer = setTimeout(r, 5000)),
  ]);
  clearTimeout(probeTimer);
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
  if (lost) {
    throw new CaptureError(
      `${manifest.errors.at(-1)}; what arrived before stays readable in ${dir}`,
      exitCode,
    );
  }
  return { dir, manifest, exitCode, loaderExit: loader.process.status.then((s) => s.code) };
}

/**
 * Why the loader's stream ended before its time, or undefined when it ended as it should.
 * `commandReported`: with a command, whether the loader reported its end (it always does
 * before it closes the stream); undefined without one (--pid, --comm), where the loader's exit
 * status tells. The usual end with a command does not wait for the loader's teardown.
 */
async function loaderLost(
  loader: LoaderClient,
  commandReported: boolean | undefined,
): Promise<string | undefined> {
  if (commandReported && loader.fatal.length === 0) return undefined;
  const st = await loader.process.status;
  if (commandReported !== false && st.success) return undefined;
  const how = st.signal !== null ? `was killed by ${st.signal}` : `exited with code ${st.code}`;
  const why = loader.fatal.at(-1);
  return `the capture's loader ${how} before the end${why ? ` (${why})` : ""}`;
}

/** Ends a command that outlived its loader: SIGTERM to it (and its group), SIGKILL after 2 s. */
async function endOrphan(pid: number): Promise<void> {
  const send = (sig: Deno.Signal) => {
    for (const target of [-pid, pid]) {
      try {
        Deno.kill(target, sig);
      } catch { /* not a group leader, or gone */ }
    }
  };
  const proc = procOf(pid);
  const gone = () => !proc || !alive(proc);
  send("SIGTERM");
  for (let i = 0; i < 20 && !gone(); i++) await new Promise((r) => setTimeout(r, 100));
  if (!gone()) send("SIGKILL");
}
