/**
 * Connections from per-direction contexts. rustls over aws-lc seals with one AEAD context and
 * opens with another (and makes new ones on a TLS 1.3 key update; a freed context's memory is
 * reused by the next connection), so the pointer the hooks see names a direction and a key
 * for a while, not a connection. The socket names the connection: at every use the kernel
 * side reports which socket the context served (SL_K_CTXFD: the socket the thread read the
 * ciphertext from, just before an open; the socket it wrote the record to, just after a
 * seal) and when sockets close. Every call is placed on the connection of its socket, and a
 * connection is named after the first context seen on the socket since it was opened (with a
 * generation, `conn_gen`, should a reused pointer name a second connection).
 *
 * A sealed record is held until the write that sends it reports its socket (microseconds
 * later), an opened one is placed at once; a call whose socket never comes is released
 * after `holdMs` on a connection named after its own context, rather than guessed, and
 * counted (`unplaced`): such a context may hold part of another connection's bytes, which the
 * capture then says in a warning.
 *
 * The kernel side numbers calls per context; here they are numbered again per connection and
 * direction (`seq`), keeping any gap the kernel's numbering shows (a lost call stays a gap).
 */
import { ownCall, type TlsCall } from "./tls_assembler.ts";

interface Held {
  since: number;
  calls: TlsCall[];
}

export class ContextPairer {
  /** `${pid}:${fd}` -> the connection on that socket since it was opened */
  #connOfSocket = new Map<string, { conn: bigint; gen: number }>();
  /** `${pid}:${conn}` -> generations of that name so far */
  #gens = new Map<string, number>();
  /** `${pid}:${ctx}` -> the socket of the context's latest open */
  #readSocket = new Map<string, number>();
  /** calls waiting for their context's socket, by `${pid}:${ctx}` */
  #held = new Map<string, Held>();
  /** `${pid}:${ctx}:${dir}` -> the kernel's seq of the context's last call */
  #lastCtxSeq = new Map<string, bigint>();
  /** `${pid}:${conn}:${dir}` -> the next seq on the connection */
  #nextSeq = new Map<string, bigint>();
  #emit: (c: TlsCall) => void;
  #unplaced = { calls: 0, bytes: 0, contexts: 0 };
  #holdMs: number;
  #now: () => number;

  constructor(emit: (c: TlsCall) => void, opts: { holdMs?: number; now?: () => number } = {}) {
    this.#emit = emit;
    this.#holdMs = opts.holdMs ?? 2000;
    this.#now = opts.now ?? (() => performance.now());
  }

  /** A call on a per-direction context (its `conn` is the raw context). */
  push(call: TlsCall): void {
    const key = `${call.pid}:${call.conn}`;
    const fd = call.dir === 1 ? this.#readSocket.get(key) : undefined;
    if (fd !== undefined) {
      this.#place(call, fd);
      return;
    }
    let h = this.#held.get(key);
    if (!h) this.#held.set(key, h = { since: this.#now(), calls: [] });
    h.calls.push(ownCall(call)); // its data is lent (tls_assembler.ts)
  }

  /** Context `ctx` of `pid` was used with socket `fd` (0: after a seal, 1: before an open). */
  contextSocket(pid: number, ctx: bigint, fd: number, dir: 0 | 1): void {
    const key = `${pid}:${ctx}`;
    if (dir === 1) this.#readSocket.set(key, fd);
    const h = this.#held.get(key);
    if (!h) return;
    this.#held.delete(key);
    for (const c of h.calls) this.#place(c, fd);
  }

  /** Socket `fd` of `pid` was closed: its number may name another connection next. */
  socketClosed(pid: number, fd: number): void {
    this.#connOfSocket.delete(`${pid}:${fd}`);
  }

  /** Releases calls held longer than the hold time (call once a second). */
  tick(): void {
    const now = this.#now();
    for (const [key, h] of [...this.#held]) {
      if (now - h.since >= this.#holdMs) this.#release(key, h);
    }
  }

  /** Releases everything still held (end of capture). */
  finish(): void {
    for (const [key, h] of [...this.#held]) this.#release(key, h);
  }

  #place(call: TlsCall, fd: number): void {
    const sock = `${call.pid}:${fd}`;
    let c = this.#connOfSocket.get(sock);
    if (c === undefined) this.#connOfSocket.set(sock, c = this.#newConn(call.pid, call.conn));
    this.#out(call, c.conn, c.gen);
  }

  #newConn(pid: number, name: bigint): { conn: bigint; gen: number } {
    const k = `${pid}:${name}`;
    const gen = this.#gens.get(k) ?? 0;
    this.#gens.set(k, gen + 1);
    return { conn: name, gen };
  }

  /** Calls released without their socket (after the hold time, or at the end), their bytes,
   * and the contexts they came from. */
  unplaced(): { calls: number; bytes: number; contexts: number } {
    return { ...this.#unplaced };
  }

  #release(key: string, h: Held): void {
    this.#held.delete(key);
    if (!h.calls.length) return;
    this.#unplaced.calls += h.calls.length;
    this.#unplaced.bytes += h.calls.reduce((n, c) => n + c.data.length, 0);
    this.#unplaced.contexts++;
    const c = this.#newConn(h.calls[0].pid, h.calls[0].conn);
    for (const call of h.calls) this.#out(call, c.conn, c.gen);
  }

  #out(call: TlsCall, conn: bigint, gen: number): void {
    const ctxKey = `${call.pid}:${call.conn}:${call.dir}`;
    const last = this.#lastCtxSeq.get(ctxKey);
    const missing = last !== undefined && call.seq > last + 1n ? call.seq - last - 1n : 0n;
    this.#lastCtxSeq.set(ctxKey, call.seq);
    const connKey = `${call.pid}:${conn}:${gen}:${call.dir}`;
    const seq = (this.#nextSeq.get(connKey) ?? 0n) + missing;
    this.#nextSeq.set(connKey, seq + 1n);
    this.#emit({ ...call, ctx: call.conn, conn, gen, seq });
  }
}
