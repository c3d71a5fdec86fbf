/**
 * Growable column buffers that become the buffers of an Arrow record batch without
 * apache-arrow: values go straight into typed arrays (strings as UTF-8 bytes plus offsets,
 * booleans and validity as bytes packed into bitmaps at the end), and `toIpc()` gives the
 * field nodes and buffers in IPC order without copying: views of the buffers, valid until the
 * next `reset()` (the writer writes a batch before it resets). The capture appends every event
 * through these.
 */
import type { ColType } from "../kit/columns.ts";
import type { FieldNode } from "./arrow_ipc.ts";

const enc = new TextEncoder();

function grow<T extends { length: number; set(a: ArrayLike<number | bigint>): void }>(
  a: T,
  need: number,
  make: (n: number) => T,
): T {
  if (need <= a.length) return a;
  let n = a.length * 2;
  while (n < need) n *= 2;
  const b = make(n);
  b.set(a as unknown as ArrayLike<number | bigint>);
  return b;
}

/**
 * A validity (or boolean) column kept as a bitmap from the start (a loop packing bytes into
 * bits at every flush was the largest part of a short capture's flushing: it runs before the
 * JIT has optimised it). Every row's bit is written, so a batch after a larger one needs no
 * clearing; `pack` copies the batch's bytes and clears the bits past its end.
 */
class ByteFlags {
  bits = new Uint8Array(32);
  set(i: number, v: boolean) {
    this.bits = grow(this.bits, (i >> 3) + 1, (n) => new Uint8Array(n));
    if (v) this.bits[i >> 3] |= 1 << (i & 7);
    else this.bits[i >> 3] &= ~(1 << (i & 7));
  }
  pack(n: number): Uint8Array {
    const len = (n + 7) >> 3;
    const out = this.bits.slice(0, len);
    if (n & 7) out[len - 1] &= (1 << (n & 7)) - 1;
    return out;
  }
}

/** UTF-8 strings or raw bytes: offsets + values. */
class VarBytes {
  offsets = new Int32Array(257);
  values = new Uint8Array(4096);
  n = 0;
  push(v: Uint8Array | string | null) {
    const start = this.offsets[this.n];
    let len = 0;
    if (typeof v === "string") {
      // at most 3 bytes per UTF-16 unit
      this.values = grow(this.values, start + v.length * 3, (k) => new Uint8Array(k));
      len = enc.encodeInto(v, this.values.subarray(start)).written;
    } else if (v) {
      this.values = grow(this.values, start + v.length, (k) => new Uint8Array(k));
      this.values.set(v, start);
      len = v.length;
    }
    this.offsets = grow(this.offsets, this.n + 2, (k) => new Int32Array(k));
    this.offsets[++this.n] = start + len;
  }
  reset() {
    this.n = 0;
  }
}

/** A column's part of a record batch: its field nodes and buffers, depth first. */
export interface IpcColumn {
  nodes: FieldNode[];
  buffers: Uint8Array[];
}

export interface ColumnBuffer {
  push(v: unknown, row: number): void;
  toIpc(n: number): IpcColumn;
  reset(): void;
}

function validityOf(valid: ByteFlags, n: number, nulls: number) {
  return nulls ? valid.pack(n) : new Uint8Array(0);
}

const bytesOf = (a: ArrayBufferView, len: number) => new Uint8Array(a.buffer, a.byteOffset, len);

type Fixed = Int32Array | Float64Array | BigInt64Array;

class FixedColumn implements ColumnBuffer {
  #vals: Fixed;
  #valid = new ByteFlags();
  #nulls = 0;
  constructor(readonly type: ColType) {
    this.#vals = this.#make(256);
  }
  #make(n: number): Fixed {
    return this.type === "int64"
      ? new BigInt64Array(n)
      : this.type === "float64"
      ? new Float64Array(n)
      : new Int32Array(n);
  }
  push(v: unknown, i: number) {
    this.#vals = grow<Fixed>(this.#vals, i + 1, (n) => this.#make(n));
    const isNull = v === null || v === undefined;
    if (isNull) this.#nulls++;
    this.#valid.set(i, !isNull);
    if (!isNull) (this.#vals as unknown as (number | bigint)[])[i] = v as number | bigint;
  }
  toIpc(n: number): IpcColumn {
    return {
      nodes: [{ length: n, nullCount: this.#nulls }],
      buffers: [
        validityOf(this.#valid, n, this.#nulls),
        bytesOf(this.#vals, n * this.#vals.BYTES_PER_ELEMENT),
      ],
    };
  }
  reset() {
    this.#nulls = 0;
  }
}

class BoolColumn implements ColumnBuffer {
  #vals = new ByteFlags();
  #valid = new ByteFlags();
  #nulls = 0;
  push(v: unknown, i: number) {
    const isNull = v === null || v === undefined;
    if (isNull) this.#nulls++;
    this.#valid.set(i, !isNull);
    this.#vals.set(i, v === true);
  }
  toIpc(n: number): IpcColumn {
    return {
      nodes: [{ length: n, nullCount: this.#nulls }],
      buffers: [validityOf(this.#valid, n, this.#nulls), this.#vals.pack(n)],
    };
  }
  reset() {
    this.#nulls = 0;
  }
}

class VarColumn implements ColumnBuffer {
  #vb = new VarBytes();
  #valid = new ByteFlags();
  #nulls = 0;
  push(v: unknown, i: number) {
    const isNull = v === null || v === undefined;
    if (isNull) this.#nulls++;
    this.#valid.set(i, !isNull);
    this.#vb.push(isNull ? null : v as string | Uint8Array);
  }
  toIpc(n: number): IpcColumn {
    return {
      nodes: [{ length: n, nullCount: this.#nulls }],
      buffers: [
        validityOf(this.#valid, n, this.#nulls),
        bytesOf(this.#vb.offsets, (n + 1) * 4),
        this.#vb.values.subarray(0, this.#vb.offsets[n]),
      ],
    };
  }
  reset() {
    this.#vb.reset();
    this.#nulls = 0;
  }
}

class StringListColumn implements ColumnBuffer {
  #offsets = new Int32Array(257);
  #items = new VarBytes();
  #valid = new ByteFlags();
  #nulls = 0;
  push(v: unknown, i: number) {
    const isNull = v === null || v === undefined;
    if (isNull) this.#nulls++;
    this.#valid.set(i, !isNull);
    for (const s of isNull ? [] : v as string[]) this.#items.push(s);
    this.#offsets = grow(this.#offsets, i + 2, (k) => new Int32Array(k));
    this.#offsets[i + 1] = this.#items.n;
  }
  toIpc(n: number): IpcColumn {
    const items = this.#offsets[n];
    return {
      nodes: [{ length: n, nullCount: this.#nulls }, { length: items, nullCount: 0 }],
      buffers: [
        validityOf(this.#valid, n, this.#nulls),
        bytesOf(this.#offsets, (n + 1) * 4),
        new Uint8Array(0),
        bytesOf(this.#items.offsets, (items + 1) * 4),
        this.#items.values.subarray(0, this.#items.offsets[items]),
      ],
    };
  }
  reset() {
    this.#items.reset();
    this.#nulls = 0;
  }
}

export function columnBuffer(type: ColType): ColumnBuffer {
  switch (type) {
    case "int32":
    case "int64":
    case "float64":
      return new FixedColumn(type);
    case "bool":
      return new BoolColumn();
    case "utf8":
    case "json":
    case "binary":
      return new VarColumn();
    case "list_utf8":
      return new StringListColumn();
  }
}
