/**
 * Loads a recording's Arrow IPC stream file into its DuckDB table at close to memory speed and
 * in bounded memory: the file is read as a stream, batch by batch, and each batch goes into
 * DuckDB data chunks of 2048 rows by copying Arrow's buffers into DuckDB's vectors — fixed-width
 * columns and validity bitmaps with one memory copy per chunk, strings and blobs as DuckDB
 * string entries pointing into Arrow's data buffer (`duckdb_strings.ts`), one copy per chunk
 * too, never as JS values. Only one batch is held at a time.
 *
 * It reads what `recording/arrow_input.ts` reads and says the same things about bad files: a
 * missing, unreadable or non-Arrow file, or one whose columns are missing or of another type,
 * loads nothing (`error`); a damaged one loads the batches before the damage (`damaged`). A row
 * with a null where the table forbids one (a file written by a looser writer) is left out and
 * told to `onReject` with its row number in the file and why, as `duckdb_tables.ts` says it.
 * A batch whose buffers do not hold its rows is damage too (`bufferFault`), found before any of
 * its rows is copied: the copies hand DuckDB addresses inside Arrow's buffers, so such a batch
 * would otherwise have DuckDB read memory that is not the file's and crash the process.
 */
import * as arrow from "apache-arrow";
import duckdb from "@duckdb/node-bindings";
import { type DuckDBConnection, DuckDBDataChunk } from "../kit/duckdb.ts";
import type { ColType, TableDef } from "../kit/columns.ts";
import { oneLine, SkippedBatches } from "../recording/arrow_input.ts";
import { cutAtDamagedHeader, HeaderCheck } from "../recording/arrow_header.ts";
import { EOS } from "../recording/arrow_ipc.ts";
import { bufferAddress, INLINE, pointTo } from "./duckdb_strings.ts";
import { concatBytes } from "../kit/bytes.ts";

/** A row of the file left out: its number in the file (from 0), and why. */
export interface ArrowReject {
  row: number;
  why: string;
}

export interface ArrowLoad {
  rows: number;
  batches: number;
  /** what stopped the reading, if the file is damaged */
  damaged?: string;
  /**
   * the damage is inside a batch (its buffers do not hold its rows) or a message header, not a
   * file cut short
   */
  corrupt?: boolean;
  /** why nothing could be loaded */
  error?: string;
}

const CHUNK = 2048;

const ARROW_TYPE: Record<ColType, (t: arrow.DataType) => boolean> = {
  int64: (t) => arrow.DataType.isInt(t) && t.bitWidth === 64,
  int32: (t) => arrow.DataType.isInt(t) && t.bitWidth === 32,
  float64: (t) => arrow.DataType.isFloat(t) && t.precision === arrow.Precision.DOUBLE,
  bool: (t) => arrow.DataType.isBool(t),
  utf8: (t) => arrow.DataType.isUtf8(t),
  json: (t) => arrow.DataType.isUtf8(t),
  binary: (t) => arrow.DataType.isBinary(t),
  list_utf8: (t) => arrow.DataType.isList(t) && arrow.DataType.isUtf8(t.children[0].type),
};

const WIDTH: Partial<Record<ColType, number>> = { int64: 8, int32: 4, float64: 8 };

type Vec = ReturnType<typeof duckdb.data_chunk_get_vector>;
type Data = arrow.Data;

function isValid(d: Data, i: number): boolean {
  const bm = d.nullBitmap;
  if (!bm || bm.length === 0 || d.nullCount === 0) return true;
  const j = d.offset + i;
  return (bm[j >> 3] & (1 << (j & 7))) !== 0;
}

/** Marks the invalid rows [base, base+n) of `d` in `vec`'s validity. */
function copyValidity(vec: Vec, d: Data, base: number, n: number): void {
  if (!d.nullBitmap || d.nullBitmap.length === 0 || d.nullCount === 0) return;
  const words = Math.ceil(n / 64);
  const mask = new Uint8Array(words * 8);
  const start = d.offset + base;
  if ((start & 7) === 0) {
    mask.set(d.nullBitmap.subarray(start >> 3, (start >> 3) + Math.ceil(n / 8)));
  } else {
    for (let i = 0; i < n; i++) if (isValid(d, base + i)) mask[i >> 3] |= 1 << (i & 7);
  }
  duckdb.vector_ensure_validity_writable(vec);
  duckdb.copy_data_to_vector_validity(vec, 0, mask.buffer, 0, mask.byteLength);
}

/**
 * Variable-length values [base, base+n) of utf8/binary `d` written straight into the vector's
 * 16-byte string entries in one copy: a short one holds its length and bytes, a long one its
 * length, first 4 bytes and the address of its bytes in Arrow's data buffer (DuckDB's
 * `string_t`), which DuckDB copies to its own heap when the chunk is appended — one call per
 * column, not one per long string (1.6M calls per million events, 0.5 s of the load). A long
 * text that is not all ASCII is assigned by DuckDB's call as before, which checks its UTF-8
 * (and makes it null when it is not; a short one that is not UTF-8 fails the append, as before).
 */
function copyBytes(vec: Vec, d: Data, base: number, n: number, text: boolean): void {
  const offs = d.valueOffsets as Int32Array;
  const bytes = d.values as Uint8Array;
  const o = d.offset + base;
  const entries = new Uint8Array(16 * n);
  const words = new Uint32Array(entries.buffer);
  const long: number[] = [];
  const address = bufferAddress(bytes);
  for (let i = 0; i < n; i++) {
    if (!isValid(d, base + i)) continue;
    const a = offs[o + i];
    const len = offs[o + i + 1] - a;
    const e = 16 * i;
    if (len <= INLINE) {
      words[4 * i] = len;
      for (let k = 0; k < len; k++) entries[e + 4 + k] = bytes[a + k];
      continue;
    }
    let high = 0;
    if (text) { for (let k = a; k < a + len; k++) high |= bytes[k]; }
    if (address === null || high >= 0x80) {
      long.push(i);
      continue;
    }
    pointTo(entries, words, i, bytes, address, a, len);
  }
  duckdb.copy_data_to_vector(vec, 0, entries.buffer, 0, entries.byteLength);
  for (const i of long) {
    duckdb.vector_assign_string_element_len(vec, i, bytes.subarray(offs[o + i], offs[o + i + 1]));
  }
}

type Constant = boolean | string | number | bigint | null;

/**
 * Column `vec` set to `value` for every row (a constant vector); a null list (a list column a
 * recording predates) as `n` null rows by their validity (DuckDB cannot reference a null value
 * into a list vector).
 */
function constant(vec: Vec, type: ColType, value: Constant, n: number): void {
  if (value === null && type === "list_utf8") {
    const mask = new Uint8Array(Math.ceil(n / 64) * 8);
    duckdb.vector_ensure_validity_writable(vec);
    duckdb.copy_data_to_vector_validity(vec, 0, mask.buffer, 0, mask.byteLength);
    return;
  }
  const v = value === null
    ? duckdb.create_null_value()
    : typeof value === "boolean"
    ? duckdb.create_bool(value)
    : type === "int64"
    ? duckdb.create_int64(BigInt(value))
    : type === "int32"
    ? duckdb.create_int32(Number(value))
    : duckdb.create_varchar(String(value));
  duckdb.vector_reference_value(vec, v);
}

function fillColumn(vec: Vec, type: ColType, d: Data, base: number, n: number): void {
  copyValidity(vec, d, base, n);
  const width = WIDTH[type];
  if (width) {
    const values = d.values as BigInt64Array | Int32Array | Float64Array;
    const at = values.byteOffset + (d.offset + base) * width;
    duckdb.copy_data_to_vector(vec, 0, values.buffer as ArrayBuffer, at, n * width);
    return;
  }
  switch (type) {
    case "bool": {
      const out = new Uint8Array(n);
      const bits = d.values as Uint8Array;
      for (let i = 0; i < n; i++) {
        const j = d.offset + base + i;
        out[i] = (bits[j >> 3] >> (j & 7)) & 1;
      }
      duckdb.copy_data_to_vector(vec, 0, out.buffer, 0, n);
      return;
    }
    case "utf8":
    case "json":
    case "binary":
      copyBytes(vec, d, base, n, type !== "binary");
      return;
    case "list_utf8": {
      const offs = d.valueOffsets as Int32Array;
      const o = d.offset + base;
      const first = offs[o];
      const total = offs[o + n] - first;
      const entries = new BigUint64Array(n * 2);
      for (let i = 0; i < n; i++) {
        entries[2 * i] = BigInt(offs[o + i] - first);
        entries[2 * i + 1] = isValid(d, base + i) ? BigInt(offs[o + i + 1] - offs[o + i]) : 0n;
      }
      duckdb.copy_data_to_vector(vec, 0, entries.buffer, 0, entries.byteLength);
      duckdb.list_vector_reserve(vec, total);
      duckdb.list_vector_set_size(vec, total);
      const child = duckdb.list_vector_get_child(vec);
      const cd = d.children[0];
      copyValidity(child, cd, first, total);
      copyBytes(child, cd, first, total, true);
      return;
    }
  }
}

/**
 * The rows of `batch` that do not fit `def` (a null in a NOT NULL column, a null inside a list
 * of strings), with why: the first misfit of each row in column order. Empty for almost every
 * batch (Arrow counts its nulls, so a clean batch costs nothing).
 */
function misfits(
  def: TableDef,
  datas: (Data | null)[],
  n: number,
): Map<number, string> {
  const bad = new Map<number, string>();
  def.columns.forEach((col, j) => {
    const d = datas[j];
    if (!d) return;
    if (!col.nullable && d.nullCount > 0) {
      for (let i = 0; i < n; i++) {
        if (!isValid(d, i) && !bad.has(i)) bad.set(i, `${col.name} is null`);
      }
    }
    if (col.type === "list_utf8" && d.children[0].nullCount > 0) {
      const offs = d.valueOffsets as Int32Array;
      const cd = d.children[0];
      for (let i = 0; i < n; i++) {
        if (bad.has(i) || !isValid(d, i)) continue;
        for (let k = offs[d.offset + i]; k < offs[d.offset + i + 1]; k++) {
          if (!isValid(cd, k)) {
            bad.set(i, `${col.name} not a list of strings`);
            break;
          }
        }
      }
    }
  });
  return bad;
}

/** The runs [start, end) of rows 0..n that are not in `bad`. */
function goodRuns(n: number, bad: Map<number, string>): [number, number][] {
  if (bad.size === 0) return [[0, n]];
  const out: [number, number][] = [];
  let start = 0;
  for (const i of [...bad.keys()].sort((a, b) => a - b)) {
    if (i > start) out.push([start, i]);
    start = i + 1;
  }
  if (start < n) out.push([start, n]);
  return out;
}

const SCHEMA = 1;
const RECORD_BATCH = 3;

/**
 * An Arrow IPC stream file read one message at a time, each read straight into one reused
 * buffer behind the schema message (fresh buffers per batch cost more in page faults than the
 * copy itself; apache-arrow's own stream reader rejoins small chunks and slows down with the
 * file). A batch's vectors point into that buffer: it must be used before the next is read.
 * Whatever the framing does not expect — a short read, a message that does not decode, a
 * dictionary batch — hands the rest of the file to apache-arrow's reader, so a damaged file
 * reads as `recording/arrow_input.ts` reads it, with the same words.
 */
export class IpcFile {
  #file: Deno.FsFile;
  #pos = 0;
  /** where the last message started in the file */
  #at = 0;
  #buf = new Uint8Array(1 << 20);
  #schemaLength = 0;
  #fallback: arrow.RecordBatchReader | null = null;
  /** the headers read, checked before apache-arrow decodes them */
  #headers = new HeaderCheck();
  schema: arrow.Schema | null = null;

  constructor(file: Deno.FsFile) {
    this.#file = file;
  }

  /** Reads `n` bytes to `#buf[at..]` (grown as needed); false at the end of the file. */
  async #read(at: number, n: number): Promise<boolean> {
    if (at + n > this.#buf.length) {
      const grown = new Uint8Array(Math.max(at + n, this.#buf.length * 2));
      grown.set(this.#buf.subarray(0, at));
      this.#buf = grown;
    }
    let got = 0;
    while (got < n) {
      const k = await this.#file.read(this.#buf.subarray(at + got, at + n));
      if (k === null) return false;
      got += k;
    }
    this.#pos += n;
    return true;
  }

  /** Reads the next message to `#buf[at..]`: its length and type; null at a clean end. */
  async #message(at: number): Promise<{ length: number; type: number } | null | "odd"> {
    this.#at = this.#pos;
    try {
      if (!(await this.#read(at, 4))) return null; // the end of a capture killed between flushes
      const view = () => new DataView(this.#buf.buffer, this.#buf.byteOffset);
      let len = view().getInt32(at, true);
      let head = 4;
      if (len === -1) {
        if (!(await this.#read(at + 4, 4))) return "odd";
        len = view().getInt32(at + 4, true);
        head = 8;
      }
      if (len === 0) return null; // end-of-stream marker
      if (len < 0 || len > 1 << 26) return "odd";
      if (!(await this.#read(at + head, len))) return "odd";
      const meta = this.#buf.subarray(at + head, at + head + len);
      if (this.#headers.check(meta)) return "odd"; // apache-arrow would loop on it: said by #tail
      const m = arrow.Message.decode(meta);
      const body = Number(m.bodyLength);
      if (body > 0 && !(await this.#read(at + head + len, body))) return "odd";
      return { length: head + len + body, type: m.headerType };
    } catch {
      return "odd";
    }
  }

  /**
   * The schema message's bytes and the rest of the file from the last message read, up to a
   * message whose header is damaged (`#tailFault` says what is wrong with it).
   */
  async #tail(): Promise<Uint8Array> {
    await this.#file.seek(this.#at, Deno.SeekMode.Start);
    const parts: Uint8Array[] = [this.#buf.slice(0, this.#schemaLength)];
    for await (const chunk of this.#file.readable) parts.push(chunk);
    const cut = cutAtDamagedHeader(concatBytes(parts));
    this.#tailFault = cut.fault;
    this.#tailHasSchema = cut.message !== 0;
    return cut.bytes;
  }
  #tailFault: string | null = null;
  #tailHasSchema = true;

  /** A damaged message header ended the reading (not a file cut short). */
  get damagedHeader(): boolean {
    return this.#tailFault !== null;
  }

  /** Reads the schema message; an error string when the file is not an Arrow stream. */
  async open(): Promise<string | null> {
    const m = await this.#message(0);
    if (m !== null && m !== "odd" && m.type === SCHEMA) {
      this.#schemaLength = m.length;
      const r = arrow.RecordBatchReader.from(concatBytes([this.#buf.subarray(0, m.length), EOS]));
      r.open();
      this.schema = r.schema;
      return null;
    }
    // said as arrow_input.ts says it
    try {
      const r = arrow.RecordBatchReader.from(await this.#tail());
      if (!this.#tailHasSchema) return `not an Arrow IPC stream (${this.#tailFault})`;
      r.open();
      if (!r.schema) return "not an Arrow IPC stream (no schema message)";
      this.schema = r.schema;
      this.#fallback = r;
      return null;
    } catch (e) {
      return `not an Arrow IPC stream (${oneLine(e)})`;
    }
  }

  /** The batches, one at a time; throws (as apache-arrow does) at damage. */
  async *batches(): AsyncGenerator<arrow.RecordBatch> {
    while (!this.#fallback) {
      const m = await this.#message(this.#schemaLength);
      if (m === null) return;
      if (m === "odd" || m.type !== RECORD_BATCH) {
        this.#fallback = arrow.RecordBatchReader.from(await this.#tail());
        this.#fallback.open();
        break;
      }
      yield* arrow.RecordBatchReader.from(this.#buf.subarray(0, this.#schemaLength + m.length));
    }
    yield* this.#fallback;
    if (this.#tailFault) throw new Error(this.#tailFault);
  }
}

/**
 * Told of the rows [start, end) of a batch just appended, as Arrow data by column name (the
 * batch's memory is reused for the next one: copy what is kept).
 */
export type OnArrowRows = (
  column: (name: string) => Data,
  start: number,
  end: number,
) => void | Promise<void>;

/**
 * Reads `path` as capture table `def` (its columns minus `constants`) into DuckDB table
 * `def.name`; a column added after the file was written (`added` in the declaration) takes
 * its value for old files. `onRows` sees every run of rows appended, in table order.
 */
export async function loadArrowFile(
  c: DuckDBConnection,
  def: TableDef,
  path: string,
  given: Record<string, Constant> = {},
  onReject?: (r: ArrowReject) => void,
  onRows?: OnArrowRows,
): Promise<ArrowLoad> {
  const constants = { ...given };
  let file: Deno.FsFile;
  try {
    file = await Deno.open(path);
  } catch (e) {
    return {
      rows: 0,
      batches: 0,
      error: e instanceof Deno.errors.NotFound ? "missing" : `unreadable (${oneLine(e)})`,
    };
  }
  try {
    const ipc = new IpcFile(file);
    const error = await ipc.open();
    if (error) return { rows: 0, batches: 0, error };
    const schema = ipc.schema!;
    for (const col of def.columns.filter((x) => !(x.name in constants))) {
      const f = schema.fields.find((x) => x.name === col.name);
      if (!f && col.absent) {
        constants[col.name] = col.absent.value;
        continue;
      }
      if (!f) return { rows: 0, batches: 0, error: `column ${col.name} is missing` };
      if (!ARROW_TYPE[col.type](f.type)) {
        return {
          rows: 0,
          batches: 0,
          error: `column ${col.name} has type ${f.type}, expected ${col.type}`,
        };
      }
    }
    const appender = await c.createAppender(def.name);
    const types = def.columns.map((_, i) => appender.columnType(i));
    const wrapped = DuckDBDataChunk.create(types);
    const chunk = wrapped.chunk;
    const out: ArrowLoad = { rows: 0, batches: 0 };
    const skipped = new SkippedBatches();
    try {
      const it = ipc.batches();
      while (true) {
        let next: IteratorResult<arrow.RecordBatch>;
        try {
          next = await it.next();
        } catch (e) {
          out.damaged = `damaged after ${out.rows} rows (${oneLine(e)})`;
          break;
        }
        if (next.done) break;
        const batch = next.value;
        const datas = def.columns.map((col) =>
          col.name in constants ? null : batch.getChild(col.name)!.data[0]
        );
        const fault = SkippedBatches.faultOf(def, batch.numRows, (j) => datas[j]);
        if (fault) {
          skipped.add(batch.numRows, out.rows, fault);
          continue;
        }
        const bad = misfits(def, datas, batch.numRows);
        if (bad.size && !onReject) {
          const [row, why] = bad.entries().next().value!;
          throw new Error(`${def.name} row ${out.rows + row}: ${why}`);
        }
        for (const [row, why] of bad) onReject!({ row: out.rows + row, why });
        for (const [start, end] of goodRuns(batch.numRows, bad)) {
          for (let base = start; base < end; base += CHUNK) {
            const n = Math.min(CHUNK, end - base);
            duckdb.data_chunk_reset(chunk);
            def.columns.forEach((col, j) => {
              const vec = duckdb.data_chunk_get_vector(chunk, j);
              if (col.name in constants) {
                constant(vec, col.type, constants[col.name], n);
              } else {
                fillColumn(vec, col.type, datas[j]!, base, n);
              }
            });
            duckdb.data_chunk_set_size(chunk, n);
            appender.appendDataChunk(wrapped);
          }
          await onRows?.((name) => batch.getChild(name)!.data[0], start, end);
        }
        out.rows += batch.numRows;
        out.batches++;
      }
    } finally {
      appender.closeSync();
    }
    out.damaged = skipped.said(out.damaged);
    if (skipped.batches || ipc.damagedHeader) out.corrupt = true;
    return out;
  } finally {
    try {
      file.close();
    } catch { /* closed with its stream */ }
  }
}
