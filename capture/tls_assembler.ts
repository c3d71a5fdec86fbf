/**
 * Reassembles the TLS records of the eBPF side (one call's payload split into chunks of
 * SL_TLS_CHUNK bytes) into one call each, and tracks connection generations (a connection
 * pointer freed and reused is a new connection).
 *
 * Chunks of one call come from one program run, so they arrive in order; a chunk lost to a
 * full ring buffer leaves a hole, which is zero-filled and counted in `lost`. A call whose
 * last chunk was lost is finished when the next call on the same connection and direction
 * arrives, or at the end.
 *
 * A call's `data` is lent, valid only during `onCall`: a call in one chunk is a view of that
 * chunk (of the loader's read buffer), a longer one is put together in a buffer that is used
 * again for later calls. Whoever keeps a call past `onCall` copies its data (`ownCall`).
 * Fresh memory costs more than the copying (page faults, zeroing): a buffer allocated per
 * call made this the capture's largest cost per TLS byte.
 */
import { Flag, type SlEvent } from "./events.ts";

/** SL_TLS_CHUNK of events.h */
export const TLS_CHUNK = 16384;

/** One kernel TLS chunk (SL_K_TLS) as the decoder gives it; the owner's uid is not needed. */
export type TlsChunk = Omit<SlEvent & { kind: 7 }, "kind" | "uid">;

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
  /** the recorded payload: min(total, max bytes) long, holes zero-filled; lent (see above) */
  data: Uint8Array;
  truncated: boolean;
  /** bytes of `data` that are holes (lost chunks, unreadable memory) */
  lost: number;
  /** where the holes are, when there are any: [start, end) offsets in `data`, in order */
  holes?: number[];
  target: number;
}

/** A copy of `call` whose data the caller owns (for keeping a call past the callback). */
export function ownCall<C extends { data: Uint8Array }>(call: C): C {
  return { ...call, data: call.data.slice() };
}

interface Pending {
  call: TlsCall;
  /** the buffer `call.data` is a view of (back to the pool when the call is out) */
  buf: Uint8Array;
  /** bytes of data filled so far, contiguous from offset 0 unless holes were found */
  filled: number;
  expectedLen: number;
}

/** Buffers kept for calls of more than one chunk, and the most bytes they may hold in all. */
const POOL_BYTES = 4 << 20;

export class TlsAssembler {
  #pending = new Map<string, Pending>();
  #gens = new Map<string, number>();
  #onCall: (c: TlsCall) => void;
  #maxBytes: number;
  /** free buffers for calls of several chunks, smallest first */
  #pool: Uint8Array[] = [];

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
    const expectedLen = Math.min(c.total, this.#maxBytes);
    if (
      !p && c.offset === 0 && (c.hflags & (Flag.LAST | Flag.FAULT)) === Flag.LAST &&
      c.data.length >= expectedLen
    ) {
      // the whole call in one chunk (most calls): its bytes as they are, no copy
      this.#onCall(this.#call(c, c.data.subarray(0, expectedLen)));
      return;
    }
    if (!p) {
      const buf = this.#take(expectedLen);
      p = { call: this.#call(c, buf.subarray(0, expectedLen)), buf, filled: 0, expectedLen };
      this.#pending.set(key, p);
    }
    const data = p.call.data;
    const room = Math.max(0, p.expectedLen - c.offset);
    const fault = (c.hflags & Flag.FAULT) !== 0;
    // an unreadable chunk covered what a full chunk would have
    const span = Math.min(room, fault ? TLS_CHUNK : c.data.length);
    if (c.offset > p.filled) {
      p.call.lost += c.offset - p.filled; // a chunk went missing
      data.fill(0, p.filled, c.offset);
      addHole(p.call, p.filled, c.offset);
    }
    if (fault) {
      p.call.lost += span;
      data.fill(0, c.offset, c.offset + span);
      addHole(p.call, c.offset, c.offset + span);
    } else data.set(c.data.subarray(0, span), c.offset);
    p.filled = Math.max(p.filled, c.offset + span);
    if (c.hflags & Flag.LAST) this.#finish(key, p);
  }

  #call(c: TlsChunk, data: Uint8Array): TlsCall {
    return {
      pid: c.pid,
      tid: c.tid,
      ts: c.ts,
      conn: c.conn,
      gen: this.#gens.get(`${c.pid}:${c.conn}`) ?? 0,
      dir: c.dir,
      seq: c.seq,
      total: c.total,
      data,
      truncated: (c.hflags & Flag.TRUNC) !== 0,
      lost: 0,
      target: c.target,
    };
  }

  /** A buffer of at least `n` bytes: the smallest free one that fits, or a new one. */
  #take(n: number): Uint8Array {
    const i = this.#pool.findIndex((b) => b.length >= n);
    if (i >= 0) return this.#pool.splice(i, 1)[0];
    let size = TLS_CHUNK * 4;
    while (size < n) size *= 2;
    return new Uint8Array(size);
  }

  /** Gives a buffer back once its call is out; the pool keeps at most POOL_BYTES. */
  #give(buf: Uint8Array): void {
    let kept = buf.length;
    for (const b of this.#pool) kept += b.length;
    if (kept > POOL_BYTES) return;
    const i = this.#pool.findIndex((b) => b.length >= buf.length);
    this.#pool.splice(i < 0 ? this.#pool.length : i, 0, buf);
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
    if (p.filled < p.expectedLen) {
      p.call.lost += p.expectedLen - p.filled;
      p.call.data.fill(0, p.filled);
      addHole(p.call, p.filled, p.expectedLen);
    }
    try {
      this.#onCall(p.call);
    } finally {
      this.#give(p.buf);
    }
  }
}

/**
 * Notes a hole [a, b) of `call.data` (after any it has; one that touches the last joins it);
 * here and in ipc_streams.ts.
 */
export function addHole(call: { holes?: number[] }, a: number, b: number): void {
  if (b <= a) return;
  const h = call.holes ??= [];
  if (h.length && h[h.length - 1] >= a) h[h.length - 1] = Math.max(h[h.length - 1], b);
  else h.push(a, b);
}
