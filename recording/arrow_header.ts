/**
 * Checks an Arrow IPC message's header (a flatbuffer, format/Message.fbs and Schema.fbs)
 * before apache-arrow decodes it. apache-arrow trusts a header's list lengths: a damaged byte
 * in a schema's `fields` or a batch's `buffers` count makes it loop billions of times building
 * objects from bytes past the header, until the process dies out of memory (found by damaging
 * recordings at random: 64 garbage bytes inside a schema killed `analyze`). Every table, list
 * and string apache-arrow's decoder walks is checked here to lie inside the header, so a
 * damaged header is said as damage and the messages before it are still read.
 */
import { concatBytes } from "../kit/bytes.ts";
import { EOS, HEADER, TYPE } from "./arrow_ipc.ts";

/** Deeper nesting of fields than a recording's schema has is damage (a loop of offsets). */
const MAX_DEPTH = 32;

class Damage extends Error {}

/** A read-only view of one flatbuffer in which every position read is checked. */
class Flatbuffer {
  #view: DataView;
  constructor(readonly bytes: Uint8Array) {
    this.#view = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  }
  #need(pos: number, n: number, what: string) {
    if (pos < 0 || n < 0 || pos + n > this.bytes.length) {
      throw new Damage(`${what} lies past its ${this.bytes.length} bytes`);
    }
  }
  u32(pos: number, what: string): number {
    this.#need(pos, 4, what);
    return this.#view.getUint32(pos, true);
  }
  u8(pos: number, what: string): number {
    this.#need(pos, 1, what);
    return this.#view.getUint8(pos);
  }
  i64(pos: number, what: string): bigint {
    this.#need(pos, 8, what);
    return this.#view.getBigInt64(pos, true);
  }
  /** Where field `slot` of the table at `t` is, or 0 when the table leaves it out. */
  field(t: number, slot: number, what: string): number {
    const vtable = t - this.#view.getInt32(t, true);
    this.#need(vtable, 4, `${what}'s layout`);
    const size = this.#view.getUint16(vtable, true);
    const at = 4 + 2 * slot;
    if (at + 2 > size) return 0;
    this.#need(vtable, size, `${what}'s layout`);
    const o = this.#view.getUint16(vtable + at, true);
    return o ? t + o : 0;
  }
  /** The table that field `slot` of `t` points to, or 0. */
  table(t: number, slot: number, what: string): number {
    const p = this.field(t, slot, what);
    if (!p) return 0;
    const child = p + this.u32(p, what);
    this.#need(child, 4, what);
    return child;
  }
  /**
   * Bytes of lists and strings walked so far. In a header that shares none they are distinct
   * bytes of it; many fields pointing at one long name, metadata list or set of union type ids
   * pass every bounds check yet have apache-arrow decode them once per field (quadratic in
   * the header's size: a 788 KB file ran analyze out of memory). So the lists walked may add up
   * to twice the header at most (room for a writer that shares a few strings).
   */
  #walked = 0;

  /** The first element and the length of the list in field `slot` of `t` ([0, 0] if none). */
  list(t: number, slot: number, size: number, what: string): [number, number] {
    const p = this.field(t, slot, what);
    if (!p) return [0, 0];
    const v = p + this.u32(p, what);
    const n = this.u32(v, what);
    this.#need(v + 4, n * size, `${what} (${n} entries)`);
    this.#walked += 4 + n * size;
    if (this.#walked > 2 * this.bytes.length) {
      throw new Damage(`its lists add up to more than twice its ${this.bytes.length} bytes`);
    }
    return [v + 4, n];
  }
  /** The tables of the list of tables in field `slot` of `t`. */
  tables(t: number, slot: number, what: string): number[] {
    const [first, n] = this.list(t, slot, 4, what);
    const out: number[] = [];
    for (let i = 0; i < n; i++) {
      const p = first + 4 * i;
      const child = p + this.u32(p, what);
      this.#need(child, 4, what);
      out.push(child);
    }
    return out;
  }
}

// Message.fbs / Schema.fbs field numbers (a table's fields by declaration order)
const MESSAGE = { headerType: 1, header: 2, bodyLength: 3, customMetadata: 4 };
const SCHEMA = { fields: 1, customMetadata: 2, features: 3 };
const FIELD = { name: 0, typeType: 2, type: 3, dictionary: 4, children: 5, customMetadata: 6 };
const UNION = { typeIds: 1 };
const RECORD_BATCH = { length: 0, nodes: 1, buffers: 2, variadicBufferCounts: 4 };
const DICTIONARY_BATCH = { data: 1 };

function keyValues(fb: Flatbuffer, t: number, slot: number) {
  for (const kv of fb.tables(t, slot, "custom metadata")) {
    fb.list(kv, 0, 1, "a metadata key");
    fb.list(kv, 1, 1, "a metadata value");
  }
}

/** What a schema asks of each batch: its columns (fields, children included) and buffers. */
interface Shape {
  nodes: number;
  /** null: a type whose buffers are not counted here (views, run-end encoded) */
  buffers: number | null;
}

/** Buffers a column of each Type (Schema.fbs union Type, by number) has in a batch. */
const BUFFERS: Record<number, number> = {
  1: 0, // Null
  2: 2, // Int
  3: 2, // FloatingPoint
  4: 3, // Binary
  5: 3, // Utf8
  6: 2, // Bool
  7: 2, // Decimal
  8: 2, // Date
  9: 2, // Time
  10: 2, // Timestamp
  11: 2, // Interval
  12: 2, // List
  13: 1, // Struct_
  15: 2, // FixedSizeBinary
  16: 1, // FixedSizeList
  17: 2, // Map
  18: 2, // Duration
  19: 3, // LargeBinary
  20: 3, // LargeUtf8
  21: 2, // LargeList
};
/** The last Type number Arrow defines (LargeListView). */
const LAST_TYPE = 26;

/** Where a field's dictionary encoding is (Schema.fbs DictionaryEncoding: its index type). */
const DICTIONARY = { indexType: 1 };

/**
 * Checks field table `t` and its children; counts into `shape` the columns and buffers a batch
 * has for it (none when `shape` is null: a dictionary's value type lies in its own batches).
 * `seen` holds the fields walked: no writer shares a field table between two places, and a
 * header whose lists point at the same fields again would be walked exponentially often.
 */
function field(fb: Flatbuffer, t: number, depth: number, shape: Shape | null, seen: Set<number>) {
  if (depth > MAX_DEPTH) throw new Damage(`fields nested deeper than ${MAX_DEPTH}`);
  if (seen.has(t)) throw new Damage("a field is listed twice");
  seen.add(t);
  fb.list(t, FIELD.name, 1, "a field's name");
  const type = fb.table(t, FIELD.type, "a field's type");
  const kindAt = fb.field(t, FIELD.typeType, "a field");
  const kind = kindAt ? fb.u8(kindAt, "a field's type") : 0;
  if (kind < 1 || kind > LAST_TYPE || !type) {
    throw new Damage(`a field's type (${kind}${type ? "" : ", no details"}) is none Arrow defines`);
  }
  if (kind === TYPE.Union) fb.list(type, UNION.typeIds, 4, "a union's type ids");
  const dictionary = fb.table(t, FIELD.dictionary, "a field's dictionary");
  if (dictionary) fb.table(dictionary, DICTIONARY.indexType, "a dictionary's index type");
  if (shape) {
    // a dictionary-encoded column is its indices in a batch: one column, validity and values
    shape.nodes++;
    const buffers = dictionary ? 2 : kind === TYPE.Union ? null : BUFFERS[kind] ?? null;
    shape.buffers = shape.buffers === null || buffers === null ? null : shape.buffers + buffers;
  }
  for (const child of fb.tables(t, FIELD.children, "a field's children")) {
    field(fb, child, depth + 1, dictionary ? null : shape, seen);
  }
  keyValues(fb, t, FIELD.customMetadata);
}

/** A count the format stores as int64 that must be a usable one (0 up to 2^53). */
function count(fb: Flatbuffer, at: number, what: string): number {
  const n = fb.i64(at, what);
  if (n < 0n || n > BigInt(Number.MAX_SAFE_INTEGER)) throw new Damage(`${what} is ${n}`);
  return Number(n);
}

function recordBatch(fb: Flatbuffer, t: number, body: number, shape: Shape | null) {
  const lengthAt = fb.field(t, RECORD_BATCH.length, "the batch");
  if (lengthAt) count(fb, lengthAt, "the batch's row count");
  const [nodes, n] = fb.list(t, RECORD_BATCH.nodes, 16, "the batch's column list");
  for (let i = 0; i < n; i++) {
    count(fb, nodes + 16 * i, "a column's length");
    count(fb, nodes + 16 * i + 8, "a column's null count");
  }
  const [buffers, k] = fb.list(t, RECORD_BATCH.buffers, 16, "the batch's buffer list");
  for (let i = 0; i < k; i++) {
    const offset = count(fb, buffers + 16 * i, "a buffer's offset");
    const length = count(fb, buffers + 16 * i + 8, "a buffer's length");
    if (offset + length > body) {
      throw new Damage(`a buffer (${offset}+${length}) lies past the ${body}-byte body`);
    }
  }
  fb.list(t, RECORD_BATCH.variadicBufferCounts, 8, "the batch's variadic counts");
  if (shape && n !== shape.nodes) {
    throw new Damage(`${n} columns in a batch of a ${shape.nodes}-column schema`);
  }
  if (shape?.buffers != null && k < shape.buffers) {
    throw new Damage(`${k} buffers in a batch whose schema needs ${shape.buffers}`);
  }
}

/**
 * Checks the headers of one IPC stream in order: the schema's, then each batch's against it.
 * `check` gives why a header (the flatbuffer after the length prefix) cannot be decoded
 * safely, in a few words, or null when every part apache-arrow reads lies inside it and the
 * counts agree with the schema.
 */
export class HeaderCheck {
  #shape: Shape | null = null;

  /** A schema's header has been checked. */
  get sawSchema(): boolean {
    return this.#shape !== null;
  }

  check(meta: Uint8Array): string | null {
    try {
      const fb = new Flatbuffer(meta);
      const root = fb.u32(0, "the header's root");
      fb.u32(root, "the header's root");
      const typeAt = fb.field(root, MESSAGE.headerType, "the message");
      const kind = typeAt ? fb.u8(typeAt, "the message's kind") : 0;
      const header = fb.table(root, MESSAGE.header, "the message's header");
      const bodyAt = fb.field(root, MESSAGE.bodyLength, "the message");
      const body = bodyAt ? count(fb, bodyAt, "the message's body length") : 0;
      keyValues(fb, root, MESSAGE.customMetadata);
      if (!header) return null;
      if (kind === HEADER.Schema) {
        const shape: Shape = { nodes: 0, buffers: 0 };
        const seen = new Set<number>();
        for (const f of fb.tables(header, SCHEMA.fields, "the schema's field list")) {
          field(fb, f, 0, shape, seen);
        }
        keyValues(fb, header, SCHEMA.customMetadata);
        fb.list(header, SCHEMA.features, 8, "the schema's features");
        this.#shape ??= shape;
      } else if (kind === HEADER.RecordBatch) {
        recordBatch(fb, header, body, this.#shape);
      } else if (kind === HEADER.DictionaryBatch) {
        const data = fb.table(header, DICTIONARY_BATCH.data, "the dictionary's batch");
        if (data) recordBatch(fb, data, body, null);
      }
      return null;
    } catch (e) {
      if (e instanceof Damage) return `a message header is damaged: ${e.message}`;
      throw e;
    }
  }
}

/** The body length a header states (0 when it states none; throws Damage if unreadable). */
function bodyLength(meta: Uint8Array): number {
  const fb = new Flatbuffer(meta);
  const root = fb.u32(0, "root");
  const at = fb.field(root, MESSAGE.bodyLength, "the message");
  return at ? Number(fb.i64(at, "the message's body length")) : 0;
}

/**
 * The messages of IPC stream `stream` as its framing lays them out: where each starts and its
 * header (the flatbuffer after the length prefix), until the framing stops adding up (a length
 * past the end, the end-of-stream marker). The body's length is read from a header only after
 * the consumer has had it, so a consumer that checks headers first never reads a damaged one.
 */
export function* framedMessages(stream: Uint8Array): Generator<{ at: number; header: Uint8Array }> {
  const view = new DataView(stream.buffer, stream.byteOffset, stream.byteLength);
  let pos = 0;
  if (isIpcFile(stream)) pos = FILE_MAGIC_PAD; // the file format: its messages follow the magic
  while (pos + 4 <= stream.length) {
    let len = view.getInt32(pos, true);
    let head = 4;
    if (len === -1) {
      if (pos + 8 > stream.length) return;
      len = view.getInt32(pos + 4, true);
      head = 8;
    }
    if (len <= 0 || pos + head + len > stream.length) return;
    const header = stream.subarray(pos + head, pos + head + len);
    yield { at: pos, header };
    let body: number;
    try {
      body = bodyLength(header);
    } catch {
      return;
    }
    if (!(body >= 0) || pos + head + len + body > stream.length) return;
    pos += head + len + body;
  }
}

/**
 * `stream` (an IPC stream) up to its first message whose header is damaged, closed with the
 * end-of-stream marker, and what is wrong with that header (`fault` null: every header is
 * sound, `stream` returned as is, or the stream inside it for the file format). `message` counts the messages before it (0: the schema's).
 * Framing that does not add up (a length past the end) is left to the reader, which says a
 * file cut short as such.
 */
export function cutAtDamagedHeader(
  stream: Uint8Array,
): { bytes: Uint8Array; fault: string | null; message: number } {
  const headers = new HeaderCheck();
  // the file format is the stream format between a magic and a footer: the stream is read, the
  // footer (a schema again, and where the batches are) never decoded
  const start = isIpcFile(stream) ? FILE_MAGIC_PAD : 0;
  let message = 0;
  for (const { at, header } of framedMessages(stream)) {
    const fault = headers.check(header);
    if (fault) return { bytes: concatBytes([stream.subarray(start, at), EOS]), fault, message };
    if (start && !headers.sawSchema) {
      // as apache-arrow's JS writer makes them; C++ (pyarrow) and Rust write the schema first
      const fault = "an Arrow IPC file with its schema in its footer only: write it as a stream";
      return { bytes: EOS, fault, message: 0 };
    }
    message++;
  }
  return { bytes: start ? stream.subarray(start) : stream, fault: null, message: -1 };
}

/** The IPC file format's magic, padded to 8 bytes before its first message. */
const FILE_MAGIC = new TextEncoder().encode("ARROW1");
const FILE_MAGIC_PAD = 8;

/** Whether `bytes` are in the IPC file format (`ARROW1`, then the stream, then a footer). */
export function isIpcFile(bytes: Uint8Array): boolean {
  return bytes.length >= FILE_MAGIC_PAD && FILE_MAGIC.every((b, i) => bytes[i] === b);
}
