/**
 * A growable byte buffer with a hard size limit, used by the parsers for everything they must
 * hold across chunk boundaries (a line, a message head, a frame, a header block). Its capacity
 * never exceeds the limit, so a parser's retained memory is bounded by construction, and it
 * records its largest capacity so tests can assert that bound.
 */

export class ByteAccumulator {
  readonly limit: number;
  #buf: Uint8Array;
  #length = 0;
  #peakCapacity: number;

  constructor(limit: number, initialCapacity = 256) {
    if (!(limit >= 0)) throw new RangeError(`invalid buffer limit ${limit}`);
    this.limit = limit;
    this.#buf = new Uint8Array(Math.min(limit, initialCapacity));
    this.#peakCapacity = this.#buf.length;
  }

  get length(): number {
    return this.#length;
  }

  /** Largest capacity this buffer ever had (never more than `limit`). */
  get peakCapacity(): number {
    return this.#peakCapacity;
  }

  /** Appends `src[start, end)`; returns false (appending nothing) if that would pass the limit. */
  append(src: Uint8Array, start = 0, end = src.length): boolean {
    const n = end - start;
    if (n <= 0) return true;
    const need = this.#length + n;
    if (need > this.limit) return false;
    if (need > this.#buf.length) {
      let cap = Math.max(this.#buf.length * 2, 256);
      while (cap < need) cap *= 2;
      const next = new Uint8Array(Math.min(cap, this.limit));
      next.set(this.#buf.subarray(0, this.#length));
      this.#buf = next;
      this.#peakCapacity = Math.max(this.#peakCapacity, next.length);
    }
    this.#buf.set(src.subarray(start, end), this.#length);
    this.#length = need;
    return true;
  }

  /** A view of the current contents (valid until the next append/clear/discard). */
  view(): Uint8Array {
    return this.#buf.subarray(0, this.#length);
  }

  /** Drops the first `n` bytes. */
  discard(n: number): void {
    if (n >= this.#length) {
      this.#length = 0;
      return;
    }
    this.#buf.copyWithin(0, n, this.#length);
    this.#length -= n;
  }

  /** Empties the buffer; shrinks the allocation back when it had grown large. */
  clear(): void {
    this.#length = 0;
    if (this.#buf.length > 65536) this.#buf = new Uint8Array(256);
  }
}
