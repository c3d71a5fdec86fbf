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
 *
 * A context whose calls go to another socket while the one it was on is still open (no close
 * seen) is counted (`moved`), never refused: the kernel pairs only TCP sockets, so this is
 * either a context's memory reused by another connection while the first lives on (after a
 * TLS key update on it: rare), which is right, or a record on the wrong connection (a thread
 * that used another TCP socket between a record's read and its open, or between its seal and
 * its write), which a warning then says. Keeping a context on its first socket instead would
 * be silently wrong in the first case, and the socket the kernel reports is the evidence there
 * is.
 */
import { ownCall, type TlsCall } from "./tls_assembler.ts";

/**
 * The capture's warnings for records a ContextPairer may have put on a connection they are not
 * of (`unplaced()`, `moved()`): none when there are none. Not `tls: ` summaries, which an
 * analysis leaves out as said by the rows (recording/manifest.ts restatesRows): the rows do
 * not show these, so each becomes a problem.
 */
export function pairingWarnings(
  unplaced: { calls: number; bytes: number; contexts: number },
  moved: { contexts: number; moves: number },
): string[] {
  const out: string[] = [];
  if (unplaced.calls) {
    out.push(
      `TLS pairing: ${unplaced.calls} TLS records (${unplaced.bytes} bytes) of ` +
        `${unplaced.contexts} per-direction context(s) (rustls) were placed without their ` +
        "socket (none reported within 2 s, or the capture ended first): each such context " +
        "stands as a connection of its own, and may hold part of another connection's bytes",
    );
  }
  if (moved.contexts) {
    out.push(
      `TLS pairing: ${moved.contexts} per-direction context(s) (rustls) had TLS records placed ` +
        `on another socket while the one they were on was still open and still used them ` +
        `(${moved.moves} time(s)): records on the wrong connection, or a context's memory ` +
        "reused by a new connection before the old one's socket closed",
    );
  }
  return out;
}

interface Conn {
  conn: bigint;
  gen: number;
}

interface Held {
  since: number;
  calls: TlsCall[];
}

export class ContextPairer {
  /** `${pid}:${fd}` -> the connection on that socket since it was opened */
  #connOfSocket = new Map<string, Conn>();
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
  /** `${pid}:${ctx}` -> the socket and connection of the context's last placed call */
  #placedOn = new Map<string, { sock: string; c: Conn }>();
  /** `${pid}:${fd}:${dir}` -> the context of the last call placed on that socket that way */
  #currentOn = new Map<string, string>();
  /** contexts counted in `moved` */
  #movedContexts = new Set<string>();
  #moves = 0;
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
    this.#currentOn.delete(`${pid}:${fd}:0`);
    this.#currentOn.delete(`${pid}:${fd}:1`);
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
    const ctx = `${call.pid}:${call.conn}`;
    const was = this.#placedOn.get(ctx);
    // counted only while the old socket is open and this context is still the one it uses in
    // that direction: after a key update another context took over there, and this one's
    // memory serving another connection is what a freed context's memory does
    if (
      was && was.c !== c && this.#connOfSocket.get(was.sock) === was.c &&
      this.#currentOn.get(`${was.sock}:${call.dir}`) === ctx
    ) {
      this.#moves++;
      this.#movedContexts.add(ctx);
    }
    this.#placedOn.set(ctx, { sock, c });
    this.#currentOn.set(`${sock}:${call.dir}`, ctx);
    this.#out(call, c.conn, c.gen);
  }

  #newConn(pid: number, name: bigint): Conn {
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

  /** Contexts whose calls went to another socket while the one they were on was still open,
   * and how many times a context did so. */
  moved(): { contexts: number; moves: number } {
    return { contexts: this.#movedContexts.size, moves: this.#moves };
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
