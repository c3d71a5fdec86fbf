/**
 * A raw DEFLATE decoder (RFC 1951) that keeps its LZ77 window between calls, for
 * `permessage-deflate` (RFC 7692): each WebSocket message is decoded with the window the
 * previous messages of that direction left (context takeover), or with an empty one.
 *
 * `node:zlib` cannot do this here: its synchronous API ends the stream after one call, and its
 * raw inflater ignores a preset dictionary; so this is a small synchronous decoder written from
 * the RFC. One call decodes one whole compressed unit (a message's payload with its
 * `00 00 ff ff` tail); the input need not end in a final block, and decoding stops at a final
 * block (bytes after it are ignored, the window is kept).
 *
 * Bounds: output beyond `maxOutput` stops decoding (an `output-limit` error, output so far
 * returned); the window holds at most `2^windowBits` bytes. Corrupt input stops decoding with
 * a `compression` error; input that ends inside a block with a `truncated` one. Never throws.
 */

export interface InflateResult {
  /** decoded bytes (up to the error, if any) */
  data: Uint8Array;
  /** a final block (BFINAL) was decoded */
  final: boolean;
  error?: { code: "compression" | "truncated" | "output-limit"; message: string };
}

/** Order in which code length code lengths are sent (RFC 1951 3.2.7). */
const CL_ORDER = [16, 17, 18, 0, 8, 7, 9, 6, 10, 5, 11, 4, 12, 3, 13, 2, 14, 1, 15];
const LEN_BASE = [
  3,
  4,
  5,
  6,
  7,
  8,
  9,
  10,
  11,
  13,
  15,
  17,
  19,
  23,
  27,
  31,
  35,
  43,
  51,
  59,
  67,
  83,
  99,
  115,
  131,
  163,
  195,
  227,
  258,
];
const LEN_EXTRA = [
  0,
  0,
  0,
  0,
  0,
  0,
  0,
  0,
  1,
  1,
  1,
  1,
  2,
  2,
  2,
  2,
  3,
  3,
  3,
  3,
  4,
  4,
  4,
  4,
  5,
  5,
  5,
  5,
  0,
];
const DIST_BASE = [
  1,
  2,
  3,
  4,
  5,
  7,
  9,
  13,
  17,
  25,
  33,
  49,
  65,
  97,
  129,
  193,
  257,
  385,
  513,
  769,
  1025,
  1537,
  2049,
  3073,
  4097,
  6145,
  8193,
  12289,
  16385,
  24577,
];
const DIST_EXTRA = [
  0,
  0,
  0,
  0,
  1,
  1,
  2,
  2,
  3,
  3,
  4,
  4,
  5,
  5,
  6,
  6,
  7,
  7,
  8,
  8,
  9,
  9,
  10,
  10,
  11,
  11,
  12,
  12,
  13,
  13,
];

/** A Huffman code as a lookup table indexed by the next `bits` input bits (LSB first). */
interface Huffman {
  /**
   * entry: symbol << 4 | code length, for codes of at most `bits` bits; 0 for bit patterns
   * that start a longer code (decoded the slow way) or no code at all
   */
  table: Int32Array;
  bits: number;
  /** the longest code */
  maxLen: number;
  /** codes of each length, and the symbols in canonical order (for the long codes) */
  count: Int32Array;
  sorted: Int32Array;
}

/** Bits of the lookup table: longer codes are rare, and a table per block must stay cheap. */
const TABLE_BITS = 9;

class DecodeError extends Error {
  constructor(readonly code: "compression" | "truncated" | "output-limit", message: string) {
    super(message);
  }
}

/** Builds the decoding table of a canonical Huffman code from its code lengths. */
function buildHuffman(lengths: ArrayLike<number>, n: number, what: string): Huffman {
  const count = new Int32Array(16);
  let maxLen = 0;
  for (let i = 0; i < n; i++) {
    count[lengths[i]]++;
    if (lengths[i] > maxLen) maxLen = lengths[i];
  }
  count[0] = 0;
  // over-subscribed sets are invalid; incomplete ones are allowed (a lone distance code)
  let left = 1;
  for (let len = 1; len <= 15; len++) {
    left = (left << 1) - count[len];
    if (left < 0) throw new DecodeError("compression", `over-subscribed ${what} code`);
  }
  const next = new Int32Array(16);
  let code = 0;
  for (let len = 1; len <= 15; len++) {
    code = (code + count[len - 1]) << 1;
    next[len] = code;
  }
  const bits = Math.max(Math.min(maxLen, TABLE_BITS), 1);
  const table = new Int32Array(1 << bits);
  const offs = new Int32Array(16);
  for (let len = 1; len < 15; len++) offs[len + 1] = offs[len] + count[len];
  const sorted = new Int32Array(n);
  for (let sym = 0; sym < n; sym++) {
    const len = lengths[sym];
    if (len === 0) continue;
    sorted[offs[len]++] = sym;
    const c = next[len]++;
    if (len > bits) continue;
    let rev = 0;
    for (let i = 0; i < len; i++) rev |= ((c >> i) & 1) << (len - 1 - i);
    const entry = (sym << 4) | len;
    for (let k = rev; k < table.length; k += 1 << len) table[k] = entry;
  }
  return { table, bits, maxLen, count, sorted };
}

const FIXED = (() => {
  const lit = new Uint8Array(288);
  lit.fill(8, 0, 144);
  lit.fill(9, 144, 256);
  lit.fill(7, 256, 280);
  lit.fill(8, 280, 288);
  const dist = new Uint8Array(30).fill(5);
  return {
    lit: buildHuffman(lit, 288, "literal/length"),
    dist: buildHuffman(dist, 30, "distance"),
  };
})();

/** Decodes one compressed unit against `history`; see the module doc. */
class Decoder {
  #in: Uint8Array;
  #pos = 0;
  #bitBuf = 0;
  #bitCount = 0;
  out: Uint8Array<ArrayBuffer>;
  /** bytes in `out` (history first, then output) */
  len: number;
  readonly #start: number;
  readonly #limit: number;
  readonly #window: number;

  /** Decodes after the `length` bytes already in `buffer` (the window), growing it if needed. */
  constructor(
    input: Uint8Array,
    buffer: Uint8Array<ArrayBuffer>,
    length: number,
    maxOutput: number,
    window: number,
  ) {
    this.#in = input;
    this.#start = length;
    this.#limit = length + maxOutput;
    this.#window = window;
    this.out = buffer;
    this.len = length;
    const want = Math.min(this.#limit, length + Math.max(1024, input.length * 4));
    if (buffer.length < want) {
      this.out = new Uint8Array(want);
      this.out.set(buffer.subarray(0, length));
    }
  }

  /** true when no input is left beyond the padding bits of the last byte */
  get exhausted(): boolean {
    return this.#pos >= this.#in.length && this.#bitCount < 8;
  }

  #need(n: number): void {
    while (this.#bitCount < n) {
      if (this.#pos >= this.#in.length) {
        throw new DecodeError("truncated", "compressed data ends inside a block");
      }
      this.#bitBuf = (this.#bitBuf | (this.#in[this.#pos++] << this.#bitCount)) >>> 0;
      this.#bitCount += 8;
    }
  }

  bits(n: number): number {
    if (n === 0) return 0;
    this.#need(n);
    const v = this.#bitBuf & ((1 << n) - 1);
    this.#bitBuf >>>= n;
    this.#bitCount -= n;
    return v;
  }

  /** Reads one symbol of `h` (near the end of input, with fewer bits than the table's). */
  symbol(h: Huffman): number {
    while (this.#bitCount < h.maxLen && this.#pos < this.#in.length) {
      this.#bitBuf = (this.#bitBuf | (this.#in[this.#pos++] << this.#bitCount)) >>> 0;
      this.#bitCount += 8;
    }
    const entry = h.table[this.#bitBuf & ((1 << h.bits) - 1)];
    let len = entry & 15;
    let sym = entry >> 4;
    if (len === 0 && h.maxLen > h.bits) {
      // a long code: canonical decoding, bit by bit (RFC 1951 3.2.2)
      let code = 0;
      let first = 0;
      let index = 0;
      for (let l = 1; l <= h.maxLen; l++) {
        code |= (this.#bitBuf >>> (l - 1)) & 1;
        const c = h.count[l];
        if (code - first < c) {
          len = l;
          sym = h.sorted[index + code - first];
          break;
        }
        index += c;
        first = (first + c) << 1;
        code <<= 1;
      }
    }
    if (len === 0) {
      if (this.#bitCount < h.maxLen && this.#pos >= this.#in.length) {
        throw new DecodeError("truncated", "compressed data ends inside a block");
      }
      throw new DecodeError("compression", "invalid Huffman code");
    }
    if (len > this.#bitCount) {
      throw new DecodeError("truncated", "compressed data ends inside a block");
    }
    this.#bitBuf >>>= len;
    this.#bitCount -= len;
    return sym;
  }

  #room(n: number): void {
    const need = this.len + n;
    if (need > this.#limit) {
      throw new DecodeError(
        "output-limit",
        `decoded message exceeds ${this.#limit - this.#start} bytes`,
      );
    }
    if (need > this.out.length) {
      let cap = this.out.length * 2;
      while (cap < need) cap *= 2;
      const next = new Uint8Array(Math.min(cap, this.#limit));
      next.set(this.out.subarray(0, this.len));
      this.out = next;
    }
  }

  stored(): void {
    // skip to a byte boundary
    this.bits(this.#bitCount & 7);
    const len = this.bits(16);
    const nlen = this.bits(16);
    if ((len ^ 0xffff) !== nlen) {
      throw new DecodeError("compression", "stored block length does not match its complement");
    }
    // whole bytes may still sit in the bit buffer
    this.#room(len);
    let k = 0;
    while (k < len && this.#bitCount >= 8) {
      this.out[this.len++] = this.bits(8);
      k++;
    }
    const rest = len - k;
    if (this.#pos + rest > this.#in.length) {
      const have = this.#in.length - this.#pos;
      this.out.set(this.#in.subarray(this.#pos), this.len);
      this.len += have;
      this.#pos = this.#in.length;
      throw new DecodeError("truncated", "compressed data ends inside a stored block");
    }
    this.out.set(this.#in.subarray(this.#pos, this.#pos + rest), this.len);
    this.len += rest;
    this.#pos += rest;
  }

  codes(lit: Huffman, dist: Huffman): void {
    for (;;) {
      const sym = this.symbol(lit);
      if (sym < 256) {
        if (this.len >= this.out.length) this.#room(1);
        this.out[this.len++] = sym;
        continue;
      }
      if (sym === 256) return;
      const li = sym - 257;
      if (li >= 29) throw new DecodeError("compression", "invalid literal/length symbol");
      const length = LEN_BASE[li] + this.bits(LEN_EXTRA[li]);
      const di = this.symbol(dist);
      if (di >= 30) throw new DecodeError("compression", "invalid distance symbol");
      const distance = DIST_BASE[di] + this.bits(DIST_EXTRA[di]);
      if (distance > this.len || distance > this.#window) {
        throw new DecodeError("compression", "distance too far back");
      }
      this.#room(length);
      const out = this.out;
      let from = this.len - distance;
      let to = this.len;
      for (let i = 0; i < length; i++) out[to++] = out[from++];
      this.len = to;
    }
  }

  dynamic(): void {
    const nlen = this.bits(5) + 257;
    const ndist = this.bits(5) + 1;
    const ncode = this.bits(4) + 4;
    if (nlen > 286 || ndist > 30) throw new DecodeError("compression", "too many length codes");
    const cl = new Uint8Array(19);
    for (let i = 0; i < ncode; i++) cl[CL_ORDER[i]] = this.bits(3);
    const clCode = buildHuffman(cl, 19, "code length");
    const lengths = new Uint8Array(nlen + ndist);
    for (let i = 0; i < nlen + ndist;) {
      const sym = this.symbol(clCode);
      if (sym < 16) {
        lengths[i++] = sym;
        continue;
      }
      let repeat: number;
      let value = 0;
      if (sym === 16) {
        if (i === 0) throw new DecodeError("compression", "repeat with no previous length");
        value = lengths[i - 1];
        repeat = 3 + this.bits(2);
      } else if (sym === 17) repeat = 3 + this.bits(3);
      else repeat = 11 + this.bits(7);
      if (i + repeat > nlen + ndist) throw new DecodeError("compression", "too many lengths");
      lengths.fill(value, i, i + repeat);
      i += repeat;
    }
    if (lengths[256] === 0) throw new DecodeError("compression", "no end-of-block code");
    const lit = buildHuffman(lengths.subarray(0, nlen), nlen, "literal/length");
    const dist = buildHuffman(lengths.subarray(nlen), ndist, "distance");
    this.codes(lit, dist);
  }
}

/**
 * A raw DEFLATE decoder whose window carries over from one `inflate` call to the next. The
 * window and the output share one buffer (output is decoded right after the window, and the
 * window slides back to the start only when the buffer has filled), so a small message costs
 * no more than its own bytes.
 */
export class RawInflater {
  readonly windowSize: number;
  /** the last `#len` bytes decoded (at least the window) */
  #buf = new Uint8Array(0);
  #len = 0;

  /** `windowBits` 8..15: the largest distance the sender may refer back (2^bits). */
  constructor(windowBits = 15) {
    if (!(windowBits >= 8 && windowBits <= 15)) throw new RangeError(`window bits ${windowBits}`);
    this.windowSize = 1 << windowBits;
  }

  /** Forgets the window (the next unit starts with an empty one). */
  reset(): void {
    this.#len = 0;
    if (this.#buf.length > 4 * this.windowSize) this.#buf = new Uint8Array(0);
  }

  /**
   * Forgets the window and stands a whole window of NUL bytes in for the history the decoder
   * never saw (a stream read from its middle): a back-reference into that history decodes to
   * NULs of the right length, so what follows stays aligned and what came from unknown bytes
   * shows as NULs.
   */
  presetUnknown(): void {
    this.#buf = new Uint8Array(2 * this.windowSize);
    this.#len = this.windowSize;
  }

  /**
   * Decodes one compressed unit. After an error the window is what was decoded up to it, so a
   * caller that goes on should `reset()` unless it knows better.
   */
  inflate(input: Uint8Array, maxOutput: number): InflateResult {
    if (this.#len > 2 * this.windowSize) {
      // slide the window back to the start of the buffer
      this.#buf.copyWithin(0, this.#len - this.windowSize, this.#len);
      this.#len = this.windowSize;
    }
    const d = new Decoder(input, this.#buf, this.#len, maxOutput, this.windowSize);
    let final = false;
    let error: InflateResult["error"];
    try {
      while (!final && !d.exhausted) {
        final = d.bits(1) === 1;
        const type = d.bits(2);
        if (type === 0) d.stored();
        else if (type === 1) d.codes(FIXED.lit, FIXED.dist);
        else if (type === 2) d.dynamic();
        else throw new DecodeError("compression", "invalid block type 3");
      }
    } catch (e) {
      if (!(e instanceof DecodeError)) throw e;
      error = { code: e.code, message: e.message };
    }
    const data = d.out.slice(this.#len, d.len);
    this.#buf = d.out;
    this.#len = d.len;
    // a buffer grown for one large message is not kept
    if (this.#buf.length > 8 * this.windowSize && this.#len <= 2 * this.windowSize) {
      const keep = Math.min(this.windowSize, this.#len);
      this.#buf = this.#buf.slice(this.#len - keep, this.#len);
      this.#len = keep;
    }
    return error ? { data, final, error } : { data, final };
  }
}
