/**
 * Growable column buffers that become the buffers of an Arrow record batch without
 * apache-arrow: values go straight into typed arrays (strings as UTF-8 bytes plus offsets,
 * booleans and validity as bytes packed into bitmaps at the end), and `toIpc()` gives the
 * field nodes and buffers in IPC order without copying: views of the buffers, valid until the
 * next `reset()` (the writer writes a batch before it resets). The capture appends every event
 * through these. `toIpc(n, from)` gives rows [from, n) alone (copied where they must be
 * re-based): the writer's smaller batches when the disk has no room for a whole one.
 */
import type { ColType } from "../kit/columns.ts";
import type { FieldNode } from "./arrow_ipc.ts";
import { grown } from "../kit/typed_arrays.ts";

const enc = new TextEncoder();

/**
 * A validity (or boolean) column kept as a bitmap from the start (a loop packing bytes into
 * bits at every flush was the largest part of a short capture's flushing: it runs before the
 * JIT has optimised it). Every row's bit is written, so a batch after a larger one needs no
 * clearing; `pack` copies the batch's bytes and clears the bits past its end.
 */
class ByteFlags {
  bits = new Uint8Array(32);
  set(i: number, v: boolean) {
    if ((i >> 3) >= this.bits.length) this.bits = grown(this.bits, (i >> 3) + 1);
    if (v) this.bits[i >> 3] |= 1 << (i & 7);
    else this.bits[i >> 3] &= ~(1 << (i & 7));
  }
  /** Sets the bits of rows [0, n). */
  fill(n: number) {
    if ((n >> 3) >= this.bits.length) this.bits = grown(this.bits, (n >> 3) + 1);
    this.bits.fill(0xff, 0, n >> 3);
    if (n & 7) this.bits[n >> 3] |= (1 << (n & 7)) - 1;
  }
  /** The bits of rows [from, n), from bit 0. */
  pack(n: number, from = 0): Uint8Array {
    if (from) {
      const out = new Uint8Array((n - from + 7) >> 3);
      for (let i = from; i < n; i++) {
        if ((this.bits[i >> 3] >> (i & 7)) & 1) out[(i - from) >> 3] |= 1 << ((i - from) & 7);
      }
      return out;
    }
    const len = (n + 7) >> 3;
    const out = this.bits.slice(0, len);
    if (n & 7) out[len - 1] &= (1 << (n & 7)) - 1;
    return out;
  }
  /** How many of rows [from, n) have their bit clear. */
  clear(n: number, from: number): number {
    let k = 0;
    for (let i = from; i < n; i++) if (!((this.bits[i >> 3] >> (i & 7)) & 1)) k++;
    return k;
  }
}

/** a UTF-16 unit that is not ASCII (surrogates included) */
const NON_ASCII = /[\u0080-\uffff]/g;

/** The UTF-8 length of `s` as TextEncoder encodes it (a lone surrogate as U+FFFD). */
function utf8Length(s: string): number {
  let len = 0;
  for (let i = 0; i < s.length; i++) {
    const c = s.charCodeAt(i);
    if (c < 0x80) len += 1;
    else if (c < 0x800) len += 2;
    else if (c >= 0xd800 && c < 0xdc00 && (s.charCodeAt(i + 1) & 0xfc00) === 0xdc00) {
      len += 4;
      i++;
    } else len += 3;
  }
  return len;
}

/** Size of a values block: the first one, and the largest. */
const FIRST_BLOCK = 4096;
const MAX_BLOCK = 1 << 20;

/**
 * UTF-8 strings or raw bytes: offsets + values. The values go into a list of blocks, written
 * one after another as the batch's values buffer, and used again for the next batch: a single
 * buffer grown by doubling touched twice the memory and copied all of it at each step, and
 * fresh memory costs more than the copying (the capture's TLS payloads go through here).
 */
class VarBytes {
  offsets = new Int32Array(257);
  n = 0;
  #blocks: Uint8Array[] = [new Uint8Array(FIRST_BLOCK)];
  /** the block being filled, and its fill */
  #bi = 0;
  #bo = 0;
  /** a string too long for the room left in the block is encoded here first */
  #scratch = new Uint8Array(0);

  push(v: Uint8Array | string | null) {
    const start = this.offsets[this.n];
    let len = 0;
    if (typeof v === "string") len = this.#pushString(v);
    else if (v) {
      this.#copy(v);
      len = v.length;
    }
    if (this.n + 2 > this.offsets.length) this.offsets = grown(this.offsets, this.n + 2);
    this.offsets[++this.n] = start + len;
  }

  /**
   * Strings as items, encoded together: joined, in one encoder call. When they are all ASCII
   * (the usual case), a byte per UTF-16 unit gives each one's offsets; otherwise the ones that
   * are not (found by a regular expression) have their UTF-8 length counted. Joined bytes are
   * each string's bytes one after another unless one ends with half a surrogate pair and the
   * next starts with the other half (joined, one character; apart, two U+FFFD): then the
   * lengths do not add up to what was written, and the strings are written again apart.
   */
  pushStrings(strs: string[]) {
    const k = strs.length;
    if (this.n + k + 1 > this.offsets.length) {
      this.offsets = grown(this.offsets, this.n + k + 1);
    }
    const offsets = this.offsets;
    const all = k === 1 ? strs[0] : strs.join("");
    const bi = this.#bi, bo = this.#bo, n0 = this.n, at0 = offsets[n0];
    const written = this.#pushString(all);
    let at = at0;
    if (written === all.length) {
      for (let i = 0; i < k; i++) offsets[++this.n] = at += strs[i].length;
      return;
    }
    NON_ASCII.lastIndex = 0;
    // string i starts at unit u of `all`
    let i = 0, u = 0;
    for (let m = NON_ASCII.exec(all); m; m = NON_ASCII.exec(all)) {
      for (; u + strs[i].length <= m.index; u += strs[i++].length) {
        offsets[++this.n] = at += strs[i].length;
      }
      offsets[++this.n] = at += utf8Length(strs[i]);
      u += strs[i++].length;
      NON_ASCII.lastIndex = u;
    }
    for (; i < k; i++) offsets[++this.n] = at += strs[i].length;
    if (at - at0 === written) return;
    this.#bi = bi;
    this.#bo = bo;
    this.n = n0;
    at = at0;
    for (const s of strs) offsets[++this.n] = at += this.#pushString(s);
  }

  /** The values of items [from, n), as the parts of one buffer. */
  values(n: number, from = 0): Uint8Array[] {
    let skip = this.offsets[from];
    let left = this.offsets[n] - skip;
    const parts: Uint8Array[] = [];
    for (let i = 0; left > 0; i++) {
      const b = this.#blocks[i];
      if (skip >= b.length) {
        skip -= b.length;
        continue;
      }
      const k = Math.min(b.length - skip, left);
      parts.push(k === b.length ? b : b.subarray(skip, skip + k));
      left -= k;
      skip = 0;
    }
    return parts;
  }

  /** The offsets of items [from, n), from 0. */
  offsetsOf(n: number, from = 0): Uint8Array {
    return rebased(this.offsets, n, from);
  }

  reset() {
    this.n = 0;
    this.#bi = 0;
    this.#bo = 0;
  }

  #pushString(v: string): number {
    const block = this.#blocks[this.#bi];
    let o = this.#bo;
    const room = block.length - o;
    if (v.length <= 16 && v.length <= room) {
      // a short one (ops, names) that is ASCII, the usual case: byte by byte (an encoder
      // call costs more for these; for longer ones, paths, it costs less than the loop)
      let i = 0;
      for (; i < v.length; i++) {
        const c = v.charCodeAt(i);
        if (c >= 0x80) break;
        block[o++] = c;
      }
      if (i === v.length) {
        this.#advance(v.length);
        return v.length;
      }
    }
    if (v.length * 3 <= room) {
      const len = enc.encodeInto(v, block.subarray(this.#bo)).written;
      this.#advance(len);
      return len;
    }
    // at most 3 bytes per UTF-16 unit
    if (this.#scratch.length < v.length * 3) this.#scratch = new Uint8Array(v.length * 3);
    const len = enc.encodeInto(v, this.#scratch).written;
    this.#copy(this.#scratch.subarray(0, len));
    return len;
  }

  /** Moves the fill on by `k` bytes written into the current block (which has the room). */
  #advance(k: number) {
    this.#bo += k;
    if (this.#bo === this.#blocks[this.#bi].length) this.#nextBlock();
  }

  /** Copies `v` into the blocks, going on into the next ones as they fill. */
  #copy(v: Uint8Array) {
    let off = 0;
    while (off < v.length) {
      const block = this.#blocks[this.#bi];
      const k = Math.min(block.length - this.#bo, v.length - off);
      block.set(off === 0 && k === v.length ? v : v.subarray(off, off + k), this.#bo);
      off += k;
      this.#advance(k);
    }
  }

  #nextBlock() {
    this.#bi++;
    this.#bo = 0;
    if (this.#bi === this.#blocks.length) {
      const last = this.#blocks[this.#bi - 1].length;
      this.#blocks.push(new Uint8Array(Math.min(last * 2, MAX_BLOCK)));
    }
  }
}

/** A column's part of a record batch: its field nodes and buffers, depth first. */
export interface IpcColumn {
  nodes: FieldNode[];
  /** each buffer whole, or as parts written one after another */
  buffers: (Uint8Array | Uint8Array[])[];
}

export interface ColumnBuffer {
  push(v: unknown, row: number): void;
  /**
   * bytes of variable-size data (strings, binary) held for the batch; while strings are held
   * back unencoded (StringColumn), at most that (3 bytes per UTF-16 unit), exact after `settle`
   */
  readonly varBytes: number;
  /** Encodes what is held back, so that varBytes is exact. */
  settle?(): void;
  /** Rows [from, n) as a batch's field nodes and buffers. */
  toIpc(n: number, from?: number): IpcColumn;
  reset(): void;
}

/** Offsets [from, n] (n - from + 1 of them) less offsets[from], as bytes. */
function rebased(offsets: Int32Array, n: number, from: number): Uint8Array {
  if (!from) return bytesOf(offsets, (n + 1) * 4);
  const out = new Int32Array(n - from + 1);
  const base = offsets[from];
  for (let i = 0; i <= n - from; i++) out[i] = offsets[from + i] - base;
  return bytesOf(out, out.length * 4);
}

/**
 * Which rows of a column are null: a validity bitmap and the count. The bits are written only
 * once a batch has a null (most columns never do): its first null sets the bits of the rows
 * before it, and from then on every row's bit is written.
 */
class Validity {
  #bits = new ByteFlags();
  nulls = 0;
  /** Marks row `i` as holding `v`; true when `v` is null. */
  mark(v: unknown, i: number): boolean {
    if (v === null || v === undefined) {
      if (this.nulls++ === 0) this.#bits.fill(i);
      this.#bits.set(i, false);
      return true;
    }
    if (this.nulls) this.#bits.set(i, true);
    return false;
  }
  /** The field node of rows [from, n). */
  node(n: number, from = 0): FieldNode {
    const nulls = from && this.nulls ? this.#bits.clear(n, from) : this.nulls;
    return { length: n - from, nullCount: nulls };
  }
  /** The validity buffer of rows [from, n): empty when none is null. */
  buffer(n: number, from = 0): Uint8Array {
    return this.nulls ? this.#bits.pack(n, from) : new Uint8Array(0);
  }
  reset() {
    this.nulls = 0;
  }
}

const bytesOf = (a: ArrayBufferView, len: number, from = 0) =>
  new Uint8Array(a.buffer, a.byteOffset + from, len);

/**
 * What the fixed-size columns share: a batch's buffers from their values (a typed array) and
 * validity. Each type's `push`, values and validity are its own (not one over a union of typed
 * arrays): its element store sees a single kind of array, so it stays a fast store. Measured
 * (A/B, 200 batches of 4096 rows in 5 columns): the fields held by this class, ~5% slower;
 * the three classes made by one function (whose `push` then shares its type feedback), ~33%.
 */
abstract class FixedColumn<A extends Int32Array | BigInt64Array | Float64Array>
  implements ColumnBuffer {
  readonly varBytes = 0;
  protected abstract vals: A;
  protected abstract valid: Validity;
  abstract push(v: unknown, i: number): void;
  toIpc(n: number, from = 0): IpcColumn {
    const w = this.vals.BYTES_PER_ELEMENT;
    return {
      nodes: [this.valid.node(n, from)],
      buffers: [this.valid.buffer(n, from), bytesOf(this.vals, (n - from) * w, from * w)],
    };
  }
  reset() {
    this.valid.reset();
  }
}

class Int32Column extends FixedColumn<Int32Array> {
  protected vals = new Int32Array(256);
  protected valid = new Validity();
  push(v: unknown, i: number) {
    if (i >= this.vals.length) this.vals = grown(this.vals, i + 1);
    if (!this.valid.mark(v, i)) this.vals[i] = v as number;
  }
}

class Int64Column extends FixedColumn<BigInt64Array> {
  protected vals = new BigInt64Array(256);
  protected valid = new Validity();
  push(v: unknown, i: number) {
    if (i >= this.vals.length) this.vals = grown(this.vals, i + 1);
    if (!this.valid.mark(v, i)) this.vals[i] = v as bigint;
  }
}

class Float64Column extends FixedColumn<Float64Array> {
  protected vals = new Float64Array(256);
  protected valid = new Validity();
  push(v: unknown, i: number) {
    if (i >= this.vals.length) this.vals = grown(this.vals, i + 1);
    if (!this.valid.mark(v, i)) this.vals[i] = v as number;
  }
}

class BoolColumn implements ColumnBuffer {
  readonly varBytes = 0;
  #vals = new ByteFlags();
  #valid = new Validity();
  push(v: unknown, i: number) {
    this.#valid.mark(v, i);
    this.#vals.set(i, v === true);
  }
  toIpc(n: number, from = 0): IpcColumn {
    return {
      nodes: [this.#valid.node(n, from)],
      buffers: [this.#valid.buffer(n, from), this.#vals.pack(n, from)],
    };
  }
  reset() {
    this.#valid.reset();
  }
}

class VarColumn implements ColumnBuffer {
  #vb = new VarBytes();
  get varBytes() {
    return this.#vb.offsets[this.#vb.n];
  }
  #valid = new Validity();
  push(v: unknown, i: number) {
    this.#vb.push(this.#valid.mark(v, i) ? null : v as string | Uint8Array);
  }
  toIpc(n: number, from = 0): IpcColumn {
    return {
      nodes: [this.#valid.node(n, from)],
      buffers: [
        this.#valid.buffer(n, from),
        this.#vb.offsetsOf(n, from),
        this.#vb.values(n, from),
      ],
    };
  }
  reset() {
    this.#vb.reset();
    this.#valid.reset();
  }
}

/**
 * Strings (utf8, json): held back as they come and encoded together when the batch is written
 * (or its size must be known exactly): an encoder call per string, or a loop over its chars,
 * was the largest part of appending a file event.
 */
class StringColumn implements ColumnBuffer {
  #vb = new VarBytes();
  #held: string[] = [];
  #heldUnits = 0;
  #valid = new Validity();
  get varBytes() {
    return this.#vb.offsets[this.#vb.n] + 3 * this.#heldUnits;
  }
  push(v: unknown, i: number) {
    if (this.#valid.mark(v, i)) this.#held.push("");
    else if (typeof v === "string") {
      this.#held.push(v);
      this.#heldUnits += v.length;
    } else {
      this.settle();
      this.#vb.push(v as Uint8Array);
    }
  }
  settle() {
    if (!this.#held.length) return;
    this.#vb.pushStrings(this.#held);
    this.#held = [];
    this.#heldUnits = 0;
  }
  toIpc(n: number, from = 0): IpcColumn {
    this.settle();
    return {
      nodes: [this.#valid.node(n, from)],
      buffers: [
        this.#valid.buffer(n, from),
        this.#vb.offsetsOf(n, from),
        this.#vb.values(n, from),
      ],
    };
  }
  reset() {
    this.#held = [];
    this.#heldUnits = 0;
    this.#vb.reset();
    this.#valid.reset();
  }
}

class StringListColumn implements ColumnBuffer {
  #offsets = new Int32Array(257);
  #items = new VarBytes();
  get varBytes() {
    return this.#items.offsets[this.#items.n];
  }
  #valid = new Validity();
  push(v: unknown, i: number) {
    const isNull = this.#valid.mark(v, i);
    for (const s of isNull ? [] : v as string[]) this.#items.push(s);
    if (i + 2 > this.#offsets.length) this.#offsets = grown(this.#offsets, i + 2);
    this.#offsets[i + 1] = this.#items.n;
  }
  toIpc(n: number, from = 0): IpcColumn {
    const first = this.#offsets[from], items = this.#offsets[n];
    return {
      nodes: [this.#valid.node(n, from), { length: items - first, nullCount: 0 }],
      buffers: [
        this.#valid.buffer(n, from),
        rebased(this.#offsets, n, from),
        new Uint8Array(0),
        this.#items.offsetsOf(items, first),
        this.#items.values(items, first),
      ],
    };
  }
  reset() {
    this.#items.reset();
    this.#valid.reset();
  }
}

export function columnBuffer(type: ColType): ColumnBuffer {
  switch (type) {
    case "int32":
      return new Int32Column();
    case "int64":
      return new Int64Column();
    case "float64":
      return new Float64Column();
    case "bool":
      return new BoolColumn();
    case "utf8":
    case "json":
      return new StringColumn();
    case "binary":
      return new VarColumn();
    case "list_utf8":
      return new StringListColumn();
  }
}
