/**
 * Growable column buffers that become Arrow data without apache-arrow's builders: values go
 * straight into typed arrays (strings as UTF-8 bytes plus offsets, booleans and validity as
 * bytes packed into bitmaps at the end), and `toData()` wraps them as Arrow `Data` without
 * copying: the data is a view of the buffers, valid until the next `reset()` (the writer
 * serialises a batch before it resets). The capture appends every event through these.
 */
import * as arrow from "apache-arrow";
import { arrowType, type ColType } from "../kit/columns.ts";

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

/** A validity (or boolean) column kept as one byte per row until it is packed. */
class ByteFlags {
  bytes = new Uint8Array(256);
  set(i: number, v: boolean) {
    this.bytes = grow(this.bytes, i + 1, (n) => new Uint8Array(n));
    this.bytes[i] = v ? 1 : 0;
  }
  pack(n: number): Uint8Array {
    const out = new Uint8Array((n + 7) >> 3);
    for (let i = 0; i < n; i++) if (this.bytes[i]) out[i >> 3] |= 1 << (i & 7);
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

export interface ColumnBuffer {
  push(v: unknown, row: number): void;
  toData(n: number): arrow.Data;
  reset(): void;
}

function validityOf(valid: ByteFlags, n: number, nulls: number) {
  return nulls ? valid.pack(n) : new Uint8Array(0);
}

type Fixed = Int32Array | Float64Array | BigInt64Array;

class FixedColumn implements ColumnBuffer {
  #vals: Fixed;
  #valid = new ByteFlags();
  #nulls = 0;
  constructor(readonly type: ColType, readonly dtype: arrow.DataType) {
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
  toData(n: number) {
    return arrow.makeData({
      type: this.dtype as arrow.Int32,
      length: n,
      nullCount: this.#nulls,
      nullBitmap: validityOf(this.#valid, n, this.#nulls),
      data: this.#vals.subarray(0, n) as Int32Array,
    });
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
  toData(n: number) {
    return arrow.makeData({
      type: new arrow.Bool(),
      length: n,
      nullCount: this.#nulls,
      nullBitmap: validityOf(this.#valid, n, this.#nulls),
      data: this.#vals.pack(n),
    });
  }
  reset() {
    this.#nulls = 0;
  }
}

class VarColumn implements ColumnBuffer {
  #vb = new VarBytes();
  #valid = new ByteFlags();
  #nulls = 0;
  constructor(readonly dtype: arrow.Utf8 | arrow.Binary) {}
  push(v: unknown, i: number) {
    const isNull = v === null || v === undefined;
    if (isNull) this.#nulls++;
    this.#valid.set(i, !isNull);
    this.#vb.push(isNull ? null : v as string | Uint8Array);
  }
  toData(n: number) {
    const end = this.#vb.offsets[n];
    return arrow.makeData({
      type: this.dtype as arrow.Utf8,
      length: n,
      nullCount: this.#nulls,
      nullBitmap: validityOf(this.#valid, n, this.#nulls),
      valueOffsets: this.#vb.offsets.subarray(0, n + 1),
      data: this.#vb.values.subarray(0, end),
    });
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
  constructor(readonly dtype: arrow.List<arrow.Utf8>) {}
  push(v: unknown, i: number) {
    const isNull = v === null || v === undefined;
    if (isNull) this.#nulls++;
    this.#valid.set(i, !isNull);
    for (const s of isNull ? [] : v as string[]) this.#items.push(s);
    this.#offsets = grow(this.#offsets, i + 2, (k) => new Int32Array(k));
    this.#offsets[i + 1] = this.#items.n;
  }
  toData(n: number) {
    const items = this.#offsets[n];
    const child = arrow.makeData({
      type: new arrow.Utf8(),
      length: items,
      nullCount: 0,
      valueOffsets: this.#items.offsets.subarray(0, items + 1),
      data: this.#items.values.subarray(0, this.#items.offsets[items]),
    });
    return arrow.makeData({
      type: this.dtype,
      length: n,
      nullCount: this.#nulls,
      nullBitmap: validityOf(this.#valid, n, this.#nulls),
      valueOffsets: this.#offsets.subarray(0, n + 1),
      child,
    });
  }
  reset() {
    this.#items.reset();
    this.#nulls = 0;
  }
}

export function columnBuffer(type: ColType): ColumnBuffer {
  const dtype = arrowType(type);
  switch (type) {
    case "int32":
    case "int64":
    case "float64":
      return new FixedColumn(type, dtype);
    case "bool":
      return new BoolColumn();
    case "utf8":
    case "json":
    case "binary":
      return new VarColumn(dtype as arrow.Utf8 | arrow.Binary);
    case "list_utf8":
      return new StringListColumn(dtype as arrow.List<arrow.Utf8>);
  }
}
