/**
 * Connections from per-direction contexts. rustls over aws-lc seals with one AEAD context
 * and opens with another, so the pointer the hooks see names a direction, not a connection.
 * A client writes first (its HTTP/2 preface or request), so an opening context is paired
 * with the oldest sealing context of the same process still without a partner; the pair is
 * one connection, named by the sealing context. Connections opened at the same instant may
 * be paired crosswise; the raw context stays in the `ctx_id` column for such questions.
 */

export class ContextPairer {
  /** per pid: sealing contexts in order of first use, not yet paired */
  #unpaired = new Map<number, bigint[]>();
  /** `${pid}:${ctx}` -> the connection it belongs to */
  #conn = new Map<string, bigint>();

  /** The connection id for a call on context `ctx` in direction `dir` (0 write, 1 read). */
  connOf(pid: number, ctx: bigint, dir: 0 | 1): bigint {
    const key = `${pid}:${ctx}`;
    const known = this.#conn.get(key);
    if (known !== undefined) return known;
    let conn = ctx;
    if (dir === 0) {
      const list = this.#unpaired.get(pid) ?? [];
      list.push(ctx);
      this.#unpaired.set(pid, list);
    } else {
      const writer = this.#unpaired.get(pid)?.shift();
      if (writer !== undefined) conn = writer;
    }
    this.#conn.set(key, conn);
    return conn;
  }
}
