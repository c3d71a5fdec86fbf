/**
 * An append-only store of strings outside V8's heap: each string is kept as UTF-8 in large
 * byte chunks and read back by the number `put` gave it. Many small strings held for a long
 * time (a parse's notes on each of 100,000 LLM calls) then cost their bytes and three numbers
 * each, not a heap object each that every full garbage collection must mark again.
 *
 * What `get` gives back is the string put, exactly: lone surrogates (which UTF-8 cannot hold)
 * are kept as JSON escapes of their own.
 */
import { grown } from "./typed_arrays.ts";

const CHUNK = 4 * 2 ** 20;
const enc = new TextEncoder();
// a leading U+FEFF is text like any other, not a byte order mark to drop
const dec = new TextDecoder("utf-8", { ignoreBOM: true });

/** Strings kept as UTF-8 in chunks of bytes; `put` returns the number `get` reads one by. */
export class TextArena {
  #chunks: Uint8Array[] = [];
  /** the chunk being filled and how much of it is used */
  #used = 0;
  #chunk = new Int32Array(0);
  // (places and lengths within a chunk: at most 3 x V8's longest string, about 1.6 GB)
  #start = new Float64Array(0);
  #length = new Float64Array(0);
  /** strings held as JSON text (they have lone surrogates), by their number */
  #escaped = new Map<number, true>();
  #count = 0;

  /** How many strings are held. */
  get length(): number {
    return this.#count;
  }

  /** Bytes of the chunks allocated (the store's size outside the heap). */
  get bytes(): number {
    return this.#chunks.reduce((n, c) => n + c.length, 0);
  }

  /** Keeps `s`; its number for `get`. */
  put(s: string): number {
    const i = this.#count++;
    let text = s;
    if (!s.isWellFormed()) {
      text = JSON.stringify(s);
      this.#escaped.set(i, true);
    }
    let chunk = this.#chunks.at(-1);
    // UTF-8 takes at most 3 bytes per UTF-16 unit
    if (!chunk || chunk.length - this.#used < 3 * text.length) {
      const fit = chunk ? enc.encodeInto(text, chunk.subarray(this.#used)) : null;
      if (fit && fit.read === text.length) return this.#keep(i, fit.written);
      chunk = new Uint8Array(Math.max(CHUNK, 3 * text.length));
      this.#chunks.push(chunk);
      this.#used = 0;
    }
    return this.#keep(i, enc.encodeInto(text, chunk.subarray(this.#used)).written);
  }

  #keep(i: number, written: number): number {
    this.#chunk = grown(this.#chunk, i + 1);
    this.#start = grown(this.#start, i + 1);
    this.#length = grown(this.#length, i + 1);
    this.#chunk[i] = this.#chunks.length - 1;
    this.#start[i] = this.#used;
    this.#length[i] = written;
    this.#used += written;
    return i;
  }

  /** The string `put` numbered `i`. */
  get(i: number): string {
    if (!(i >= 0 && i < this.#count)) throw new RangeError(`no text numbered ${i}`);
    const start = this.#start[i];
    const text = dec.decode(
      this.#chunks[this.#chunk[i]].subarray(start, start + this.#length[i]),
    );
    return this.#escaped.has(i) ? JSON.parse(text) : text;
  }
}
