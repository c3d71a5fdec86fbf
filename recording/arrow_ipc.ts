/**
 * Arrow IPC stream messages for the column kit's types, written directly (Arrow columnar
 * format, "Serialization and Interprocess Communication"; Schema.fbs and Message.fbs), so the
 * capture need not load apache-arrow: that package is most of its start-up (~0.2 s).
 *
 * An encapsulated message is: 0xFFFFFFFF, the int32 length of the metadata (padded so the body
 * starts 8-aligned), the metadata (a flatbuffer `Message`), then the body (the buffers, each
 * 8-aligned). Supported types: Int32, Int64, Float64, Bool, Utf8 (utf8, json), Binary and
 * List<Utf8> (list_utf8, child field "item", nullable), as kit/columns.ts declares them.
 */
import type { ColType, TableDef } from "../kit/columns.ts";

/** The end-of-stream marker. */
export const EOS = new Uint8Array([0xff, 0xff, 0xff, 0xff, 0, 0, 0, 0]);

/** One flatbuffer, built back to front (so every offset points forward, as the format wants). */
class Builder {
  #buf = new Uint8Array(512);
  #dv = new DataView(this.#buf.buffer);
  /** where the next byte goes (writing moves it down) */
  #head = this.#buf.length;
  #minAlign = 1;
  #vtable: number[] = [];
  #tableEnd = 0;

  /** Bytes written so far: how objects are addressed (distance from the end). */
  offset(): number {
    return this.#buf.length - this.#head;
  }

  #grow(need: number) {
    if (this.#head >= need) return;
    let size = this.#buf.length * 2;
    while (size - this.offset() < need) size *= 2;
    const b = new Uint8Array(size);
    b.set(this.#buf.subarray(this.#head), size - this.offset());
    this.#head = size - this.offset();
    this.#buf = b;
    this.#dv = new DataView(b.buffer);
  }

  /** Pads so that after `additional` more bytes the position is aligned to `size`. */
  #prep(size: number, additional: number) {
    if (size > this.#minAlign) this.#minAlign = size;
    const pad = -(this.offset() + additional) & (size - 1);
    this.#grow(pad + size + additional);
    for (let i = 0; i < pad; i++) this.#buf[--this.#head] = 0;
  }

  u8(v: number) {
    this.#prep(1, 0);
    this.#buf[--this.#head] = v;
  }
  i16(v: number) {
    this.#prep(2, 0);
    this.#head -= 2;
    this.#dv.setInt16(this.#head, v, true);
  }
  i32(v: number) {
    this.#prep(4, 0);
    this.#head -= 4;
    this.#dv.setInt32(this.#head, v, true);
  }
  i64(v: number) {
    this.#prep(8, 0);
    this.#head -= 8;
    this.#dv.setBigInt64(this.#head, BigInt(v), true);
  }
  /** A uoffset to the object at `off`: its distance forward from where it is stored. */
  ref(off: number) {
    this.#prep(4, 0);
    const v = this.offset() + 4 - off;
    this.#head -= 4;
    this.#dv.setUint32(this.#head, v, true);
  }

  string(s: string): number {
    const bytes = new TextEncoder().encode(s);
    this.#prep(4, bytes.length + 1);
    this.#buf[--this.#head] = 0;
    this.#head -= bytes.length;
    this.#buf.set(bytes, this.#head);
    this.#head -= 4;
    this.#dv.setUint32(this.#head, bytes.length, true);
    return this.offset();
  }

  /** A vector of offsets (tables, strings), in order. */
  refs(offs: number[]): number {
    this.#prep(4, 4 * offs.length);
    for (let i = offs.length - 1; i >= 0; i--) this.ref(offs[i]);
    this.#head -= 4;
    this.#dv.setUint32(this.#head, offs.length, true);
    return this.offset();
  }

  /** A vector of structs of two int64s (FieldNode, Buffer), in order. */
  pairs(items: [number, number][]): number {
    this.#prep(4, 16 * items.length);
    this.#prep(8, 16 * items.length);
    for (let i = items.length - 1; i >= 0; i--) {
      this.i64(items[i][1]);
      this.i64(items[i][0]);
    }
    this.#head -= 4;
    this.#dv.setUint32(this.#head, items.length, true);
    return this.offset();
  }

  startTable(fields: number) {
    this.#vtable = new Array(fields).fill(0);
    this.#tableEnd = this.offset();
  }
  /** Records that field `id` was just written. */
  field(id: number) {
    this.#vtable[id] = this.offset();
  }
  endTable(): number {
    this.i32(0); // the soffset to the vtable, patched below
    const table = this.offset();
    let n = this.#vtable.length;
    while (n > 0 && !this.#vtable[n - 1]) n--;
    for (let i = n - 1; i >= 0; i--) this.i16(this.#vtable[i] ? table - this.#vtable[i] : 0);
    this.i16(table - this.#tableEnd);
    this.i16((n + 2) * 2);
    const vtable = this.offset();
    this.#dv.setInt32(this.#buf.length - table, vtable - table, true);
    return table;
  }

  finish(root: number): Uint8Array {
    this.#prep(this.#minAlign, 4);
    this.ref(root);
    return this.#buf.slice(this.#head);
  }
}

// Schema.fbs: union Type, enum MetadataVersion, union MessageHeader
export const TYPE = {
  Int: 2,
  FloatingPoint: 3,
  Binary: 4,
  Utf8: 5,
  Bool: 6,
  List: 12,
  Union: 14,
} as const;
const V5 = 4;
export const HEADER = { Schema: 1, DictionaryBatch: 2, RecordBatch: 3 } as const;
const DOUBLE = 2;

function typeTable(b: Builder, t: ColType): [number, number] {
  switch (t) {
    case "int32":
    case "int64":
      b.startTable(2);
      b.u8(1); // is_signed
      b.field(1);
      b.i32(t === "int32" ? 32 : 64); // bitWidth
      b.field(0);
      return [TYPE.Int, b.endTable()];
    case "float64":
      b.startTable(1);
      b.i16(DOUBLE);
      b.field(0);
      return [TYPE.FloatingPoint, b.endTable()];
    case "bool":
      b.startTable(0);
      return [TYPE.Bool, b.endTable()];
    case "utf8":
    case "json":
      b.startTable(0);
      return [TYPE.Utf8, b.endTable()];
    case "binary":
      b.startTable(0);
      return [TYPE.Binary, b.endTable()];
    case "list_utf8":
      b.startTable(0);
      return [TYPE.List, b.endTable()];
  }
}

/** Field table: name 0, nullable 1, type_type 2, type 3, children 5. */
function fieldTable(b: Builder, name: string, t: ColType, nullable: boolean): number {
  const children = t === "list_utf8" ? [fieldTable(b, "item", "utf8", true)] : [];
  const kids = b.refs(children);
  const [typeType, type] = typeTable(b, t);
  const nameOff = b.string(name);
  b.startTable(7);
  b.ref(kids);
  b.field(5);
  b.ref(type);
  b.field(3);
  b.ref(nameOff);
  b.field(0);
  b.u8(typeType);
  b.field(2);
  b.u8(nullable ? 1 : 0);
  b.field(1);
  return b.endTable();
}

/** Message table: version 0, header_type 1, header 2, bodyLength 3. */
function message(b: Builder, headerType: number, header: number, bodyLength: number) {
  b.startTable(5);
  b.i64(bodyLength);
  b.field(3);
  b.ref(header);
  b.field(2);
  b.i16(V5);
  b.field(0);
  b.u8(headerType);
  b.field(1);
  return b.finish(b.endTable());
}

/** Continuation marker and padded length around a metadata flatbuffer. */
function encapsulate(meta: Uint8Array): Uint8Array {
  const padded = (meta.length + 7) & ~7;
  const out = new Uint8Array(8 + padded);
  const dv = new DataView(out.buffer);
  dv.setUint32(0, 0xffffffff, true);
  dv.setInt32(4, padded, true);
  out.set(meta, 8);
  return out;
}

/** Each table's schema message, once built (a resident capture starts its tables at every
 * session); never written to: a writer writes it as it is. */
const schemas = new WeakMap<TableDef, Uint8Array>();

/** The schema message of a table (its fields, and metadata sightline.table = its name). */
export function schemaMessage(def: TableDef): Uint8Array {
  let m = schemas.get(def);
  if (!m) schemas.set(def, m = buildSchemaMessage(def));
  return m;
}

function buildSchemaMessage(def: TableDef): Uint8Array {
  const b = new Builder();
  const fields = def.columns.map((c) => fieldTable(b, c.name, c.type, c.nullable));
  const fieldsVec = b.refs(fields);
  const key = b.string("sightline.table");
  const value = b.string(def.name);
  b.startTable(2);
  b.ref(value);
  b.field(1);
  b.ref(key);
  b.field(0);
  const kv = b.endTable();
  const meta = b.refs([kv]);
  b.startTable(4);
  b.ref(meta);
  b.field(2);
  b.ref(fieldsVec);
  b.field(1);
  b.i16(0); // little-endian
  b.field(0);
  const schema = b.endTable();
  return encapsulate(message(b, HEADER.Schema, schema, 0));
}

/** A field node of a record batch: its length and null count, in depth-first field order. */
export interface FieldNode {
  length: number;
  nullCount: number;
}

/**
 * A record batch message: the parts to write one after another (metadata, then each buffer
 * followed by its padding), so that the column buffers are written without being copied. A
 * buffer may come in parts (written one after another, padded as one).
 */
export function recordBatchMessage(
  length: number,
  nodes: FieldNode[],
  buffers: (Uint8Array | Uint8Array[])[],
): Uint8Array[] {
  const spans: [number, number][] = [];
  let body = 0;
  const sizes = buffers.map((b) =>
    Array.isArray(b) ? b.reduce((s, p) => s + p.length, 0) : b.length
  );
  for (const size of sizes) {
    spans.push([body, size]);
    body += (size + 7) & ~7;
  }
  const b = new Builder();
  const bufVec = b.pairs(spans);
  const nodeVec = b.pairs(nodes.map((n) => [n.length, n.nullCount]));
  b.startTable(3);
  b.i64(length);
  b.field(0);
  b.ref(bufVec);
  b.field(2);
  b.ref(nodeVec);
  b.field(1);
  const batch = b.endTable();
  const parts = [encapsulate(message(b, HEADER.RecordBatch, batch, body))];
  const zeros = new Uint8Array(8);
  buffers.forEach((buf, i) => {
    for (const part of Array.isArray(buf) ? buf : [buf]) if (part.length) parts.push(part);
    const pad = -sizes[i] & 7;
    if (pad) parts.push(zeros.subarray(0, pad));
  });
  return parts;
}
