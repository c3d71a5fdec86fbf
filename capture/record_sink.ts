/**
 * The record sink: the loader's decoded records in, the recording's rows out. Process, file,
 * network, privilege, TLS and ipc records become rows of the Arrow tables (TLS through the
 * assembler, the hook check and the redactor; io_uring requests once their result is in);
 * the loader's statistics, warnings and the command's end go to the manifest it is given.
 * It needs no loader and no root: tests replay a recorded loader stream into it
 * (record_sink_test.ts); the session (recorder.ts) feeds it live, flushes it every second and
 * hands it the attach layer once the loader has connected.
 */
import type { AttachManager } from "./attach.ts";
import { ArrowStreamWriter, HOLD_LIMIT, HoldBudget } from "../recording/arrow_writer.ts";
import type { TableDef } from "../kit/columns.ts";
import { Flag, Kind, KIND_NAMES, Missing, type SlEvent } from "./events.ts";
import type { Manifest } from "../recording/manifest.ts";
import { dnsRow, execRow, exitRow, fileRow, forkRow, netRow, privilegeRow } from "./rows.ts";
import {
  type FileRow,
  fileTable,
  ipcTable,
  type NetRow,
  netTable,
  privilegeTable,
  type ProcessRow,
  processTable,
  tlsTable,
} from "../recording/schema.ts";
import { type UringCounts, uringOpName } from "../recording/blind_spots.ts";
import { IpcAssembler, IpcRows } from "./ipc_streams.ts";
import { createSessionDigest } from "../protocols/session_digest.ts";
import { Counters, startsRequest } from "./status.ts";
import { ContextPairer, pairingWarnings } from "./conn_pairing.ts";
import { HookVerifier } from "./hook_verifier.ts";
import { TlsAssembler } from "./tls_assembler.ts";
import { PER_DIRECTION_CONTEXT } from "./tls_targets.ts";
import { type H2RedactorFactory, TlsStreams } from "./tls_streams.ts";
import { type BodyMaskCounts, encodedOverCapWarning } from "../protocols/http1_body_secrets.ts";
import { damageWarnings, noDamage } from "./stream_damage.ts";
import { dnsRefusedWarnings } from "./dns.ts";
import { ArgvAssembler, type ArgvDamage, argvWarnings } from "./argv_assembler.ts";
import type { GateStops } from "./gate_stops.ts";

export interface SinkOptions {
  /** the recording directory: the sink creates its Arrow files */
  dir: string;
  maxTlsBytes: number;
  /** write ipc.arrow (false: --no-ipc) */
  ipc: boolean;
  keepSecrets?: boolean;
  h2Redactor?: H2RedactorFactory;
  /** --pid: the root pid when the loader names no child */
  pids?: number[];
  /** what the writers may hold in memory while the disk refuses their batches */
  holdBytes?: number;
  /** notes the processes the gate stopped until the loader has answered for them (live only) */
  gateStops?: GateStops;
}

/**
 * What the disk refused: the first write error, and per table the rows held in memory (to be
 * written when it takes them) and those dropped (never written). Rows lost are final once the
 * sink has finished.
 */
export interface DiskTrouble {
  error: string;
  held: Record<string, number>;
  lost: Record<string, number>;
}

/** What the sink adds to the manifest at each flush (manifest_builder.ts refreshManifest). */
export interface SinkState {
  tables: Manifest["tables"];
  /** the attach report, once there is an attach layer */
  attach?: Manifest["attach"];
  uring: UringCounts;
  /** io_uring requests that never got a result */
  noCompletion: number;
  /** whether io_uring's tracepoints attached */
  uringAttached: boolean;
  /** what the exec command lines miss */
  argv: ArgvDamage;
}

type GateEvent = SlEvent & { kind: 9 };

export class RecordSink {
  readonly counters = new Counters();
  /** the command's wait status and exec errno, from the loader's SL_K_CHILD */
  childStatus: number | undefined;
  execErrno = 0;

  readonly #manifest: Manifest;
  /** datagrams the kernel side took for DNS questions and the strict parse refused */
  #dnsRefused = 0;
  #dnsAnswersRefused = 0;
  readonly #maxTlsBytes: number;
  readonly #pids?: number[];
  readonly #gateStops?: GateStops;
  readonly #writers;
  readonly #allWriters: ArrowStreamWriter<TableDef>[];
  /** set once the loader runs (records before that have no gate to handle) */
  #attach: AttachManager | undefined;
  #earlyGates: GateEvent[] = [];
  #gateTasks = new Set<Promise<void>>();
  #offset = 0n; // CLOCK_BOOTTIME -> wall clock
  readonly #clock = (boot: bigint) => boot + this.#offset;
  #lastExec = new Map<number, string>();
  /** traced processes seen to start (fork, exec) or joined, and not yet to exit: pid -> comm */
  #running = new Map<number, string>();
  /** pids seen to start (fork, exec) before the join's rows came (joined()), then null */
  #started: Set<number> | null = new Set();
  /**
   * each pid's network namespace as its last fork, exec, network or DNS record gave it (kept
   * after its exit: its ipc rows may still wait for their peer), for pairing loopback TCP ends
   */
  #netNs = new Map<number, number>();
  // io_uring: requests by opcode (from the loader's stats), whether its tracepoints attached
  #uring: UringCounts = { requests: {}, recorded: {} };
  #uringAttached = true;
  #noCompletion = 0;
  /** io_uring requests recorded at submission, waiting for their result (SL_K_URING_DONE) */
  #awaiting = new Map<bigint, { table: "file"; row: FileRow } | { table: "net"; row: NetRow }>();
  readonly #streams: TlsStreams;
  readonly #pairer: ContextPairer;
  readonly #verifier: HookVerifier;
  readonly #assembler: TlsAssembler;
  readonly #ipcRows: IpcRows;
  readonly #ipcCalls: IpcAssembler;
  /** what tls.arrow misses (ipc's: IpcRows.damage) */
  #tlsDamage = noDamage();
  /** bodies the redactors masked whole unjudged (encoded requests past a cap), TLS and ipc */
  #tlsMasked: BodyMaskCounts = { encodedOverCap: 0 };
  #ipcMasked: BodyMaskCounts = { encodedOverCap: 0 };
  /** execs whose argv goes on in SL_K_ARGV records, until it is in */
  readonly #argv: ArgvAssembler;

  constructor(opts: SinkOptions, manifest: Manifest) {
    const { dir } = opts;
    const budget = new HoldBudget(opts.holdBytes ?? HOLD_LIMIT);
    this.#manifest = manifest;
    this.#maxTlsBytes = opts.maxTlsBytes;
    this.#pids = opts.pids;
    this.#gateStops = opts.gateStops;
    const writers = this.#writers = {
      process: ArrowStreamWriter.create(`${dir}/process.arrow`, processTable, budget),
      file: ArrowStreamWriter.create(`${dir}/file.arrow`, fileTable, budget),
      net: ArrowStreamWriter.create(`${dir}/net.arrow`, netTable, budget),
      tls: ArrowStreamWriter.create(`${dir}/tls.arrow`, tlsTable, budget),
      privilege: ArrowStreamWriter.create(`${dir}/privilege.arrow`, privilegeTable, budget),
      ...(opts.ipc ? { ipc: ArrowStreamWriter.create(`${dir}/ipc.arrow`, ipcTable, budget) } : {}),
    };
    this.#allWriters = Object.values(writers);
    this.#argv = new ArgvAssembler((ev) => writers.process.append(execRow(ev, this.#clock)));

    // one key for the recording: an Mcp-Session-Id gets one string in tls.arrow and ipc.arrow
    // (the recording schema: "the same for one id within a recording")
    const digest = createSessionDigest();
    this.#streams = new TlsStreams(
      {
        keepSecrets: opts.keepSecrets ?? false,
        h2Redactor: opts.h2Redactor,
        digest,
        counts: this.#tlsMasked,
      },
      ({ call, data, lost, withheld }) => {
        if (call.truncated) this.#tlsDamage.cut++;
        this.#tlsDamage.lost += BigInt(lost - withheld);
        this.#tlsDamage.withheld += BigInt(withheld);
        const info = this.#attach?.cookie(call.target);
        if (call.dir === 0 && startsRequest(data)) this.counters.httpRequests++;
        this.counters.tlsBytes += call.total;
        manifest.tls_bytes += data.length;
        writers.tls.append({
          ts_ns: this.#clock(call.ts),
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
    this.#pairer = new ContextPairer((c) => this.#streams.push(c));
    // every hook's first bytes per connection must look like plaintext; a wrong one is dropped
    this.#verifier = new HookVerifier((target, check) => {
      const info = this.#attach?.cookie(target);
      manifest.warnings.push(
        `hook ${info?.fn ?? target} in ${info?.lib ?? "?"} saw ciphertext, not plaintext ` +
          `(${check.evidence}): its data is dropped and it is detached`,
      );
      // (a replayed stream has no attach layer: nothing to detach)
      const dropped = this.#attach?.dropHook(target);
      if (!dropped) return;
      this.#track(
        dropped.then((what) => {
          if (what) manifest.warnings.push(`hook ${what}`);
        }).catch((e) => {
          manifest.warnings.push(`detaching hook ${target}: ${(e as Error).message}`);
        }),
      );
    }, (target) => /symbol$/.test(this.#attach?.cookie(target)?.hook.method ?? ""));
    this.#assembler = new TlsAssembler(opts.maxTlsBytes, (c) => {
      if (!this.#verifier.check(c)) return;
      const fn = this.#attach?.cookie(c.target)?.fn;
      if (fn && PER_DIRECTION_CONTEXT.has(fn)) this.#pairer.push(c);
      else this.#streams.push(c);
    });
    this.#ipcRows = new IpcRows(this.#clock, {
      keepSecrets: opts.keepSecrets,
      h2Redactor: opts.h2Redactor,
      netNsOf: (pid) => this.#netNs.get(pid),
      digest,
      counts: this.#ipcMasked,
    });
    this.#ipcCalls = new IpcAssembler(opts.maxTlsBytes, (c) => this.#ipcRows.push(c));
  }

  /** One decoded record from the loader (replies to commands are the loader client's). */
  readonly push = (ev: SlEvent): void => {
    this.counters.events++;
    const writers = this.#writers;
    const clock = this.#clock;
    const manifest = this.#manifest;
    // a record of a pid whose exec waits for its argv chunks: they are over
    if (this.#argv.waiting) this.#argv.after(ev);
    switch (ev.kind) {
      case Kind.READY:
        this.#offset = ev.bootToRealNs;
        manifest.root_pid = ev.childPid || (this.#pids?.[0] ?? null);
        this.#uringAttached = (ev.missing & Missing.URING) === 0;
        break;
      case Kind.FORK:
        this.#started?.add(ev.pid);
        this.#running.set(ev.pid, ev.comm);
        this.#netNs.set(ev.pid, ev.netNs);
        writers.process.append(forkRow(ev, clock));
        break;
      case Kind.EXEC:
        this.#started?.add(ev.pid);
        this.#running.set(ev.pid, ev.comm);
        this.#netNs.set(ev.pid, ev.netNs);
        this.#lastExec.set(ev.pid, ev.filename);
        this.#argv.exec(ev);
        break;
      case Kind.ARGV:
        this.#argv.chunk(ev);
        break;
      case Kind.EXIT:
        this.#running.delete(ev.pid);
        this.#lastExec.delete(ev.pid);
        writers.process.append(exitRow(ev, clock));
        break;
      case Kind.FILE:
        if (ev.hflags & Flag.PENDING) {
          this.#awaiting.set(ev.uringId, { table: "file", row: fileRow(ev, clock) });
        } else writers.file.append(fileRow(ev, clock));
        break;
      case Kind.NET:
        if (ev.netNs) this.#netNs.set(ev.pid, ev.netNs);
        if (ev.hflags & Flag.PENDING) {
          this.#awaiting.set(ev.uringId, { table: "net", row: netRow(ev, clock) });
        } else writers.net.append(netRow(ev, clock));
        break;
      case Kind.DNS: {
        if (ev.netNs) this.#netNs.set(ev.pid, ev.netNs);
        const dns = dnsRow(ev, clock);
        if (dns) writers.net.append(dns);
        else if (ev.dir === 1) this.#dnsAnswersRefused++; // shown at the end: dnsRefusedWarnings
        else this.#dnsRefused++;
        break;
      }
      case Kind.PRIV:
        writers.privilege.append(privilegeRow(ev, clock));
        break;
      case Kind.URING_DONE: {
        const w = this.#awaiting.get(ev.uringId);
        if (!w) break;
        this.#awaiting.delete(ev.uringId);
        w.row.ret = BigInt(ev.res);
        w.row.ts_ns = clock(ev.ts);
        if (w.table === "file") writers.file.append(w.row);
        else writers.net.append(w.row);
        break;
      }
      case Kind.TLS:
        this.#assembler.chunk(ev);
        break;
      case Kind.TLS_FREE:
        this.#assembler.free(ev.pid, ev.conn);
        break;
      case Kind.CTXFD:
        this.#pairer.contextSocket(ev.pid, ev.ctx, ev.fd, ev.dir);
        break;
      case Kind.FDCLOSE:
        this.#pairer.socketClosed(ev.pid, ev.fd);
        break;
      case Kind.IPC:
        this.#ipcCalls.chunk(ev);
        break;
      case Kind.GATE:
        // noted at once: the loader may die before the attach layer has answered
        if (ev.hflags & Flag.STOPPED) this.#gateStops?.stopped(ev.pid, ev.ts);
        if (this.#attach) this.#gate(ev);
        else this.#earlyGates.push(ev); // before the attach layer exists (--pid/--comm start-up)
        break;
      case Kind.STATS: {
        let total = 0;
        ev.drops.forEach((n, k) => {
          if (n > 0n) manifest.drops[KIND_NAMES[k] ?? String(k)] = Number(n);
          total += Number(n);
        });
        this.counters.drops = total;
        manifest.missed_runs = Number(ev.misses);
        manifest.gated_processes = Number(ev.gated);
        ev.uringSeen.forEach((n, op) => {
          if (n > 0n) this.#uring.requests[uringOpName(op)] = Number(n);
        });
        ev.uringRecorded.forEach((n, op) => {
          if (n > 0n) this.#uring.recorded[uringOpName(op)] = Number(n);
        });
        break;
      }
      case Kind.CHILD:
        this.childStatus = ev.status;
        this.execErrno = ev.execErrno;
        break;
      case Kind.LOG:
        manifest.warnings.push(ev.text);
        break;
    }
  };

  /**
   * The `joined` rows of the processes a `--pid` or `--comm` capture joined, as /proc showed
   * them at the join (joined_rows.ts): what they run, which no exec row says. A pid already
   * seen to start (forked or exec'd between the loader's start and the listing of the joined
   * pids) has its fork or exec row: a joined row, stamped earlier, would be a second process
   * that never ends, and is left out. The joined are running: if they have not exited when the
   * capture ends, its warning says so (outlivedWarnings), as the analysis does.
   */
  joined(rows: readonly ProcessRow[]): void {
    const started = this.#started ?? new Set();
    this.#started = null;
    for (const r of rows) {
      if (started.has(r.pid)) continue;
      if (r.net_ns !== null && !this.#netNs.has(r.pid)) this.#netNs.set(r.pid, Number(r.net_ns));
      if (!this.#running.has(r.pid)) this.#running.set(r.pid, r.comm ?? "");
      this.#writers.process.append(r);
    }
  }

  /** The traced processes seen to start (fork, exec) or joined, and not yet to exit. */
  running(): number[] {
    return [...this.#running.keys()];
  }

  /** The attach layer, once the loader has connected: gates that came before it go to it now. */
  attachTo(attach: AttachManager): void {
    this.#attach = attach;
    for (const ev of this.#earlyGates.splice(0)) this.#gate(ev);
  }

  /** Once a second: unpaired TLS contexts time out, ipc rows whose peer is known go out. */
  tick(): void {
    this.#argv.tick();
    this.#pairer.tick();
    this.#appendIpc(false);
  }

  /**
   * Writes what the tables hold so far; what the disk refuses is held in memory and written by
   * a later flush once it takes it (or, past the writers' budget, dropped and counted).
   */
  flush(): void {
    for (const w of this.#allWriters) w.flush();
    const trouble = this.diskTrouble();
    const sum = (m: Record<string, number>) => Object.values(m).reduce((s, n) => s + n, 0);
    this.counters.diskHeld = trouble ? sum(trouble.held) : 0;
    this.counters.diskLost = trouble ? sum(trouble.lost) : 0;
  }

  /**
   * What the disk cost the recording, in one line, or undefined when nothing was lost (final
   * once the sink has finished).
   */
  get writeError(): string | undefined {
    const trouble = this.diskTrouble();
    return trouble && diskLoss(trouble);
  }

  /** What the disk has refused so far, or undefined when it never did. */
  diskTrouble(): DiskTrouble | undefined {
    let error: string | undefined;
    const held: Record<string, number> = {}, lost: Record<string, number> = {};
    for (const [name, w] of Object.entries(this.#writers)) {
      error ??= w.firstError;
      if (w.held) held[name] = w.held;
      if (w.rowsLost) lost[name] = w.rowsLost;
    }
    return error === undefined ? undefined : { error, held, lost };
  }

  /** Resolves when every attach and detach the records asked for has finished. */
  async settled(): Promise<void> {
    await Promise.all([...this.#gateTasks]);
  }

  /** The loader never got ready: the tables are left as they are. */
  abandon(): void {
    for (const w of this.#allWriters) w.abandon();
  }

  /**
   * The stream has ended: what is still held (io_uring requests without a result, unfinished
   * TLS and ipc calls) goes out, damage becomes manifest warnings, the files are closed: what
   * the disk still refuses then is lost, which `diskTrouble()` counts.
   */
  finish(): void {
    for (const w of this.#awaiting.values()) {
      this.#noCompletion++;
      if (w.table === "file") this.#writers.file.append(w.row);
      else this.#writers.net.append(w.row);
    }
    this.#awaiting.clear();
    this.#argv.finish();
    this.#assembler.finishAll();
    this.#pairer.finish();
    // shown, never silent: records that may be on a connection they are not of
    this.#manifest.warnings.push(
      ...pairingWarnings(this.#pairer.unplaced(), this.#pairer.moved()),
    );
    this.#streams.finish();
    this.#ipcCalls.finishAll();
    this.#appendIpc(true);
    // shown, never silent, by cause and kind: messages in these calls are cut or have holes
    const ipc = this.#ipcRows.damage;
    this.#manifest.warnings.push(
      ...damageWarnings("tls", "TLS plaintext", this.#tlsDamage, this.#maxTlsBytes),
      ...damageWarnings(
        "ipc",
        "JSON-RPC on pipes and unix sockets",
        ipc.jsonrpc,
        this.#maxTlsBytes,
      ),
      ...damageWarnings("ipc", "cleartext HTTP over TCP", ipc.http, this.#maxTlsBytes),
      ...encodedOverCapWarning("TLS plaintext", this.#tlsMasked.encodedOverCap),
      ...encodedOverCapWarning("cleartext HTTP over TCP", this.#ipcMasked.encodedOverCap),
      ...argvWarnings(this.#argv.damage),
      ...dnsRefusedWarnings(this.#dnsRefused, this.#dnsAnswersRefused),
      ...outlivedWarnings(this.#running),
    );
    for (const w of this.#allWriters) {
      try {
        w.close();
      } catch { /* counted: diskTrouble() */ }
    }
  }

  /** The tables, the attach report (hook checks applied) and io_uring, for the manifest. */
  state(): SinkState {
    const tables: Manifest["tables"] = {};
    for (const [name, w] of Object.entries(this.#writers)) {
      // rows: those in the file (a batch is written whole or not at all)
      tables[name] = {
        file: `${name}.arrow`,
        rows: w.rowsWritten,
        bytes: w.bytesWritten,
        ...(w.rowsLost ? { lost: w.rowsLost } : {}),
      };
    }
    this.#attach?.applyChecks(this.#verifier.checks());
    return {
      tables,
      attach: this.#attach?.report(),
      uring: this.#uring,
      noCompletion: this.#noCompletion,
      uringAttached: this.#uringAttached,
      argv: this.#argv.damage,
    };
  }

  #gate(ev: GateEvent): void {
    this.#track(
      this.#attach!.gate(
        {
          pid: ev.pid,
          dev: ev.dev,
          ino: ev.ino,
          fd: ev.fd,
          reason: ev.reason,
          stopped: (ev.hflags & Flag.STOPPED) !== 0,
          stale: (ev.hflags & Flag.STALE) !== 0,
        },
        this.#lastExec.get(ev.pid),
        () => this.#gateStops?.answered(ev.pid),
      ).catch((e) => {
        this.#manifest.warnings.push(`attach for pid ${ev.pid}: ${(e as Error).message}`);
      }),
    );
  }

  #track(t: Promise<void>): void {
    this.#gateTasks.add(t);
    t.finally(() => this.#gateTasks.delete(t));
  }

  /** ipc rows go out at each flush, once their peer is known (ipc_streams.ts) */
  #appendIpc(all: boolean): void {
    for (const row of this.#ipcRows.take(all)) this.#writers.ipc?.append(row);
  }
}

/**
 * What the disk cost the recording, in one line ("writing the recording failed (No space left
 * on device (os error 28)): 1200 rows not written (file 1100, process 100)"), or undefined
 * when it cost nothing (it took what was held once it had room again).
 */
export function diskLoss(trouble: DiskTrouble): string | undefined {
  const lost = Object.entries(trouble.lost).sort((a, b) => b[1] - a[1]);
  const total = lost.reduce((s, [, n]) => s + n, 0);
  if (!total) return undefined;
  return `writing the recording failed (${trouble.error}): ${total} row${
    total === 1 ? "" : "s"
  } not written (${lost.map(([t, n]) => `${t} ${n}`).join(", ")})`;
}

/**
 * Traced processes that had not exited when the stream ended (a daemon the command left
 * behind; with --pid or --comm, what was still running at Ctrl-C): the capture does not follow
 * them further, which the user must be told, not left to find as a process without an end.
 */
export function outlivedWarnings(running: ReadonlyMap<number, string>): string[] {
  if (!running.size) return [];
  const n = running.size;
  const shown = [...running].slice(0, 5).map(([pid, comm]) => `pid ${pid} ${comm}`);
  const more = n > 5 ? ` and ${n - 5} more` : "";
  return [
    `${n} traced process${n === 1 ? "" : "es"} had not exited when the capture ended ` +
    `(${shown.join(", ")}${more}): what ${n === 1 ? "it" : "they"} did afterwards is not recorded`,
  ];
}
