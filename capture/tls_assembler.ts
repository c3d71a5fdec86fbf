/**
 * Reassembles the TLS records of the eBPF side (one call's payload split into chunks of
 * SL_TLS_CHUNK bytes) into one call each, and tracks connection generations (a connection
 * pointer freed and reused is a new connection).
 *
 * Chunks of one call come from one program run, so they arrive in order; a chunk lost to a
 * full ring buffer leaves a hole, which is zero-filled and counted in `lost`. A call whose
 * last chunk was lost is finished when the next call on the same connection and direction
 * arrives, or at the end.
 */
import { Flag } from "./events.ts";

/** SL_TLS_CHUNK of events.h */
export const TLS_CHUNK = 16384;

export interface TlsChunk {
  pid: number;
  tid: number;
  ts: bigint;
  flags: number;
  conn: bigint;
  seq: bigint;
  total: number;
  offset: number;
  target: number;
  dir: 0 | 1;
  data: Uint8Array;
}

export interface TlsCall {
  pid: number;
  tid: number;
  /** CLOCK_BOOTTIME ns of the first chunk */
  ts: bigint;
  conn: bigint;
  /** the object the call got when it differs from the connection (per-direction contexts) */
  ctx?: bigint;
  gen: number;
  dir: 0 | 1;
  seq: bigint;
  /** bytes the call moved */
  total: number;
  /** the recorded payload: min(total, max bytes) long, holes zero-filled */
  data: Uint8Array;
  truncated: boolean;
  /** bytes of `data` that are holes (lost chunks, unreadable memory) */
  lost: number;
  target: number;
}

interface Pending {
  call: TlsCall;
  /** bytes of data filled so far, contiguous from offset 0 unless holes were found */
  filled: number;
  expectedLen: number;
}

export class TlsAssembler {
  #pending = new Map<string, Pending>();
  #gens = new Map<string, number>();
  #onCall: (c: TlsCall) => void;
  #maxBytes: number;

  /** `maxBytes` is the loader's --max-tls-bytes (what a truncated call keeps). */
  constructor(maxBytes: number, onCall: (c: TlsCall) => void) {
    this.#maxBytes = maxBytes;
    this.#onCall = onCall;
  }

  chunk(c: TlsChunk): void {
    const key = `${c.pid}:${c.conn}:${c.dir}`;
    let p = this.#pending.get(key);
    if (p && p.call.seq !== c.seq) {
      this.#finish(key, p);
      p = undefined;
    }
    if (!p) {
      const expectedLen = Math.min(c.total, this.#maxBytes);
      p = {
        call: {
          pid: c.pid,
          tid: c.tid,
          ts: c.ts,
          conn: c.conn,
          gen: this.#gens.get(`${c.pid}:${c.conn}`) ?? 0,
          dir: c.dir,
          seq: c.seq,
          total: c.total,
          data: new Uint8Array(expectedLen),
          truncated: (c.flags & Flag.TRUNC) !== 0,
          lost: 0,
          target: c.target,
        },
        filled: 0,
        expectedLen,
      };
      this.#pending.set(key, p);
    }
    const room = Math.max(0, p.expectedLen - c.offset);
    const fault = (c.flags & Flag.FAULT) !== 0;
    // an unreadable chunk covered what a full chunk would have
    const span = Math.min(room, fault ? TLS_CHUNK : c.data.length);
    if (c.offset > p.filled) p.call.lost += c.offset - p.filled; // a chunk went missing
    if (fault) p.call.lost += span;
    else p.call.data.set(c.data.subarray(0, span), c.offset);
    p.filled = Math.max(p.filled, c.offset + span);
    if (c.flags & Flag.LAST) this.#finish(key, p);
  }

  /** The library freed connection `conn` of `pid`: later calls belong to a new generation. */
  free(pid: number, conn: bigint): void {
    for (const dir of [0, 1]) {
      const key = `${pid}:${conn}:${dir}`;
      const p = this.#pending.get(key);
      if (p) this.#finish(key, p);
    }
    const gk = `${pid}:${conn}`;
    this.#gens.set(gk, (this.#gens.get(gk) ?? 0) + 1);
  }

  /** Finishes every call still waiting for chunks (at the end of a capture). */
  finishAll(): void {
    for (const [key, p] of [...this.#pending]) this.#finish(key, p);
  }

  #finish(key: string, p: Pending): void {
    this.#pending.delete(key);
    if (p.filled < p.expectedLen) p.call.lost += p.expectedLen - p.filled;
    this.#onCall(p.call);
  }
}
