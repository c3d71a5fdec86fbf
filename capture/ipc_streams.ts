/**
 * From SL_K_IPC records (bpf/ipc.bpf.h: the bytes traced processes moved on pipes and unix
 * sockets that carry JSON-RPC) to `ipc` rows: chunks reassembled into one row per call, a
 * sequence number per (pid, inode, direction), bytes lost to the ring buffer counted, and the
 * process at the other end found by pairing the two ends.
 *
 * Pairing: both ends of a pipe have its inode, so a pipe's peer is a process seen moving bytes
 * the other way on the same inode; a unix socket's end knows the other end's inode
 * (`peer_inode`), so its peer is a process seen on that one; a TCP socket's end
 * (`tcp`) has its addresses and ports, so its peer is a process seen on the socket with them
 * swapped (both ends traced: on loopback, or to an address of this machine), and that socket's
 * inode becomes `peer_inode`. Loopback is each network namespace's own: two sandboxes (or a
 * sandbox and the host) may each have a connection 127.0.0.1:40000 -> 127.0.0.1:3128, so a
 * loopback end pairs only with one in its own namespace (its process's, as the last fork,
 * exec or network record of that pid gave it) when both are known; other addresses pair
 * across namespaces (a container reaches the host by its bridge address). The peer of a call is often seen
 * only just after it (the server reads the request the agent wrote), so rows wait for their
 * peer until the next flush but one (about a second) and are then written with or without it.
 *
 * Lost bytes: the kernel numbers the bytes of each (inode, direction) it records
 * (`stream_off`), so a call that went missing whole shows as a gap before the next one, and a
 * chunk that went missing as a hole inside its call (zero-filled); both count in `lost`, and
 * so do the bytes the redactor withheld (a call written empty: ipc_redact.ts). `damage` counts
 * them apart, by cause and kind, for the capture's warnings (stream_damage.ts).
 */
import { Flag, IpcKind } from "./events.ts";
import type { IpcRow } from "../recording/schema.ts";
import type { Clock } from "./rows.ts";
import type { SlEvent } from "./events.ts";
import { IpcRedactor } from "./ipc_redact.ts";
import { addHole } from "./tls_assembler.ts";
import type { H2RedactorFactory } from "./tls_streams.ts";
import type { SessionDigest } from "../protocols/session_digest.ts";
import type { BodyMaskCounts } from "../protocols/http1_body_secrets.ts";
import { noDamage, type StreamDamage } from "./stream_damage.ts";

/** One kernel ipc chunk (SL_K_IPC) as the decoder gives it; the owner's uid is not needed. */
export type IpcChunk = Omit<SlEvent & { kind: 14 }, "kind" | "uid">;

export interface IpcCall {
  pid: number;
  tid: number;
  /** CLOCK_BOOTTIME ns of the call's exit */
  ts: bigint;
  inode: bigint;
  peerInode: bigint;
  streamOff: bigint;
  fd: number;
  dir: 0 | 1;
  kind: string;
  /** tcp: the local and remote ports; else 0 */
  lport: number;
  rport: number;
  /** tcp: the local and remote addresses (`a.b.c.d` or IPv6 text); else "" */
  laddr: string;
  raddr: string;
  /** bytes the call moved */
  total: number;
  /** min(total, max bytes) long, holes zero-filled */
  data: Uint8Array;
  truncated: boolean;
  /** bytes of `data` that are holes (lost chunks, unreadable memory); then also withheld ones */
  lost: number;
  /** where the holes are, when there are any: [start, end) offsets in `data`, in order */
  holes?: number[];
  /** bytes the redactor withheld (the call is written empty: ipc_redact.ts) */
  withheld?: number;
}

interface Pending {
  call: IpcCall;
  filled: number;
}

/** Chunks to calls. A thread's chunks of one call arrive in order, from one program run. */
export class IpcAssembler {
  #pending = new Map<string, Pending>();
  #onCall: (c: IpcCall) => void;
  #maxBytes: number;

  /** `maxBytes` is the loader's --max-tls-bytes, which cuts these calls too. */
  constructor(maxBytes: number, onCall: (c: IpcCall) => void) {
    this.#maxBytes = maxBytes;
    this.#onCall = onCall;
  }

  chunk(c: IpcChunk): void {
    const key = `${c.tid}:${c.inode}:${c.dir}`;
    let p = this.#pending.get(key);
    if (p && p.call.streamOff !== c.streamOff) {
      this.#finish(key, p);
      p = undefined;
    }
    if (!p) {
      p = {
        call: {
          pid: c.pid,
          tid: c.tid,
          ts: c.ts,
          inode: c.inode,
          peerInode: c.peerInode,
          streamOff: c.streamOff,
          fd: c.fd,
          dir: c.dir,
          kind: IpcKind[c.fdkind] ?? `kind ${c.fdkind}`,
          lport: c.lport,
          rport: c.rport,
          laddr: c.laddr,
          raddr: c.raddr,
          total: c.total,
          data: new Uint8Array(Math.min(c.total, this.#maxBytes)),
          truncated: (c.hflags & Flag.TRUNC) !== 0,
          lost: 0,
        },
        filled: 0,
      };
      this.#pending.set(key, p);
    }
    const room = Math.max(0, p.call.data.length - c.offset);
    const span = Math.min(room, c.len);
    if (c.offset > p.filled) { // a chunk went missing
      p.call.lost += c.offset - p.filled;
      addHole(p.call, p.filled, c.offset);
    }
    if (c.hflags & Flag.FAULT) {
      p.call.lost += span;
      addHole(p.call, c.offset, c.offset + span);
    } else p.call.data.set(c.data.subarray(0, span), c.offset);
    p.filled = Math.max(p.filled, c.offset + span);
    if (c.hflags & Flag.LAST) this.#finish(key, p);
  }

  /** Finishes every call still waiting for chunks (at the end of a capture). */
  finishAll(): void {
    for (const [key, p] of [...this.#pending]) this.#finish(key, p);
  }

  #finish(key: string, p: Pending): void {
    this.#pending.delete(key);
    if (p.filled < p.call.data.length) {
      p.call.lost += p.call.data.length - p.filled;
      addHole(p.call, p.filled, p.call.data.length);
    }
    this.#onCall(p.call);
  }
}

/** A TCP socket's four-tuple as a key; `swapped`: the other end's, as that end knows it. */
function tcpKey(c: IpcCall, swapped: boolean): string {
  const l = `[${c.laddr}]:${c.lport}`, r = `[${c.raddr}]:${c.rport}`;
  return swapped ? `${r} ${l}` : `${l} ${r}`;
}

/** A loopback address (127.0.0.0/8, ::1, IPv4-mapped 127.x), or none recorded (the oldest). */
export function isLoopback(addr: string): boolean {
  return addr === "" || addr === "::1" || /^(?:::ffff:)?127\./i.test(addr);
}

/** A TCP socket seen with a four-tuple, and its process's network namespace (0: not known). */
interface TcpEnd {
  inode: bigint;
  netNs: number;
}

interface Waiting {
  row: IpcRow;
  call: IpcCall;
  /** tcp: the network namespace of the call's process when it was made (0: not known) */
  netNs: number;
  /** takes this row has waited through */
  age: number;
}

/** Calls to rows: sequence numbers, gaps, and the peer process (see the module comment). */
export class IpcRows {
  #clock: Clock;
  #seq = new Map<string, bigint>();
  /** per (inode, direction): where the next recorded call should start */
  #next = new Map<string, bigint>();
  /** per inode: the processes seen on it, and in which directions */
  #ends = new Map<bigint, Map<number, Set<number>>>();
  /**
   * tcp: the sockets seen with each (local address and port, remote address and port), the
   * latest last, with their namespaces
   */
  #tcp = new Map<string, TcpEnd[]>();
  #waiting: Waiting[] = [];
  #netNsOf: (pid: number) => number;

  #redactor: IpcRedactor<IpcCall> | null;

  /**
   * What the rows taken so far miss, by kind: `jsonrpc` pipes and unix sockets, `http`
   * TCP (HTTP/1, or h2c on loopback)
   */
  readonly damage: { jsonrpc: StreamDamage; http: StreamDamage } = {
    jsonrpc: noDamage(),
    http: noDamage(),
  };

  /**
   * `keepSecrets`: write the bytes as they were (capture --keep-secrets); `h2Redactor`: the
   * HTTP/2 redactor's factory, for h2c on loopback (see ipc_redact.ts); `netNsOf`: a
   * process's network namespace as last recorded (0 or none: not known; see the module
   * comment); `digest`: the recording's keyed digest of session ids, shared with its TLS
   * streams (default: a fresh key); `counts`: where its body maskers count what they mask whole
   * unjudged.
   */
  constructor(
    clock: Clock,
    opts: {
      keepSecrets?: boolean;
      h2Redactor?: H2RedactorFactory;
      netNsOf?: (pid: number) => number | undefined;
      digest?: SessionDigest;
      counts?: BodyMaskCounts;
    } = {},
  ) {
    this.#clock = clock;
    const of = opts.netNsOf;
    this.#netNsOf = of ? (pid) => of(pid) ?? 0 : () => 0;
    this.#redactor = opts.keepSecrets ? null : new IpcRedactor<IpcCall>(
      { h2Redactor: opts.h2Redactor, digest: opts.digest, counts: opts.counts },
      (c) => this.#add(c),
    );
  }

  /** A call; its row is made once the redactor has let its bytes out (in order, per stream). */
  push(call: IpcCall): void {
    if (this.#redactor) this.#redactor.push(call);
    else this.#add(call);
  }

  #add(call: IpcCall): void {
    const sk = `${call.pid}:${call.inode}:${call.dir}`;
    const seq = this.#seq.get(sk) ?? 0n;
    this.#seq.set(sk, seq + 1n);
    const nk = `${call.inode}:${call.dir}`;
    const next = this.#next.get(nk);
    // a whole call lost before this one; (an offset below: the kernel forgot the channel
    // and numbers it from 0 again, or two threads' calls crossed)
    const gap = next !== undefined && call.streamOff > next ? call.streamOff - next : 0n;
    const end = call.streamOff + BigInt(call.total);
    this.#next.set(nk, next === undefined || end > next ? end : next);
    let ends = this.#ends.get(call.inode);
    if (!ends) this.#ends.set(call.inode, ends = new Map());
    let dirs = ends.get(call.pid);
    if (!dirs) ends.set(call.pid, dirs = new Set());
    dirs.add(call.dir);
    const tcp = call.kind === "tcp";
    const netNs = tcp ? this.#netNsOf(call.pid) : 0;
    if (tcp) {
      const key = tcpKey(call, false);
      const seen = this.#tcp.get(key);
      const end = { inode: call.inode, netNs };
      if (!seen) this.#tcp.set(key, [end]);
      else if (!seen.some((e) => e.inode === end.inode && e.netNs === netNs)) seen.push(end);
    }
    this.#waiting.push({
      call,
      netNs,
      age: 0,
      row: {
        ts_ns: this.#clock(call.ts),
        pid: call.pid,
        tid: call.tid,
        fd: call.fd,
        kind: call.kind,
        inode: BigInt.asIntN(64, call.inode),
        peer_inode: call.peerInode ? BigInt.asIntN(64, call.peerInode) : null,
        peer_pid: null,
        direction: call.dir === 0 ? "write" : "read",
        seq,
        len: BigInt(call.total),
        data: call.data,
        truncated: call.truncated,
        lost: BigInt(call.lost) + gap,
        local_port: tcp ? call.lport : null,
        remote_port: tcp ? call.rport : null,
        local_addr: tcp ? call.laddr : null,
        remote_addr: tcp ? call.raddr : null,
      },
    });
  }

  /**
   * The socket at the other end of a TCP call: the latest seen with its four-tuple swapped.
   * On loopback, namespaces decide, the same way from both ends: with the call's namespace
   * known, the latest in that namespace, else the latest whose namespace is not known, never
   * one in another; with it not known, the latest whose namespace is not known either, else
   * the latest in a namespace that has no end on this side (that one pairs back with the
   * latest unknown here, so only if that is this call's socket). 0 if none.
   */
  #tcpPeer(w: Waiting): bigint {
    const ends = this.#tcp.get(tcpKey(w.call, true)) ?? [];
    if (!isLoopback(w.call.laddr) || !isLoopback(w.call.raddr)) return ends.at(-1)?.inode ?? 0n;
    if (w.netNs !== 0) {
      const pick = ends.findLast((e) => e.netNs === w.netNs) ??
        ends.findLast((e) => e.netNs === 0);
      return pick?.inode ?? 0n;
    }
    const unknown = ends.findLast((e) => e.netNs === 0);
    if (unknown) return unknown.inode;
    const mine = this.#tcp.get(tcpKey(w.call, false)) ?? [];
    if (mine.findLast((e) => e.netNs === 0)?.inode !== w.call.inode) return 0n;
    const orphan = ends.findLast((e) => !mine.some((m) => m.netNs === e.netNs));
    return orphan?.inode ?? 0n;
  }

  /** The peer process of a call, if one has been seen. */
  #peer(c: IpcCall): number | null {
    if (c.kind === "unix" || c.kind === "tcp") {
      const other = this.#ends.get(c.peerInode);
      if (!other) return null;
      const pids = [...other.keys()];
      return pids.find((p) => p !== c.pid) ?? pids[0] ?? null;
    }
    const same = this.#ends.get(c.inode);
    for (const [pid, dirs] of same ?? []) {
      if (pid !== c.pid && dirs.has(1 - c.dir)) return pid;
    }
    return null;
  }

  /**
   * Rows ready to write, in the order their calls came: those whose peer is known, and those
   * that have waited through one take already; `all`: every row (the end of the capture:
   * what the redactor still holds goes out too).
   */
  take(all = false): IpcRow[] {
    if (all) this.#redactor?.finish();
    const out: IpcRow[] = [];
    const keep: Waiting[] = [];
    let holding = false; // keep the order: once one row waits, the later ones wait too
    for (const w of this.#waiting) {
      if (w.call.kind === "tcp" && !w.call.peerInode) {
        w.call.peerInode = this.#tcpPeer(w);
        if (w.call.peerInode) w.row.peer_inode = BigInt.asIntN(64, w.call.peerInode);
      }
      w.row.peer_pid = this.#peer(w.call);
      if (!all && !holding && w.row.peer_pid === null && w.age === 0) holding = true;
      if (holding && !all) {
        w.age++;
        keep.push(w);
      } else {
        out.push(w.row);
        const d = w.call.kind === "tcp" ? this.damage.http : this.damage.jsonrpc;
        const withheld = BigInt(w.call.withheld ?? 0);
        if (w.row.truncated) d.cut++;
        d.lost += w.row.lost - withheld;
        d.withheld += withheld;
      }
    }
    this.#waiting = keep;
    return out;
  }
}
