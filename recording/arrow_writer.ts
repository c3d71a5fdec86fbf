/**
 * Writes one table as an Apache Arrow IPC *stream* file, a record batch per flush, so that a
 * capture killed at any moment leaves a file readable up to its last flush. The schema
 * message is written when the file is created; the end-of-stream marker when it is closed.
 * Files are created with mode 0600 (recordings hold prompts and may hold secrets).
 */
import * as arrow from "apache-arrow";
import { arrowSchema, type RowOf, type TableDef } from "../kit/columns.ts";
import { type ColumnBuffer, columnBuffer } from "./column_buffers.ts";

const EOS = new Uint8Array([0xff, 0xff, 0xff, 0xff, 0, 0, 0, 0]);

/** Encodes [schema][batches...][EOS] with apache-arrow's own writer. */
function encodeStream(schema: arrow.Schema, batches: arrow.RecordBatch[]): Uint8Array {
  const w = new arrow.RecordBatchStreamWriter();
  w.reset(undefined, schema);
  for (const b of batches) w.write(b);
  w.finish();
  return w.toUint8Array(true);
}

function endsWithEos(b: Uint8Array): boolean {
  return b.length >= 8 && EOS.every((x, i) => b[b.length - 8 + i] === x);
}

export class ArrowStreamWriter<D extends TableDef> {
  readonly path: string;
  readonly def: D;
  readonly schema: arrow.Schema;
  #file: Deno.FsFile;
  #schemaBytes: Uint8Array;
  #cols: { name: string; buf: ColumnBuffer }[];
  #n = 0;
  #closed = false;
  /** rows and bytes written to the file so far */
  rowsWritten = 0;
  bytesWritten = 0;

  private constructor(path: string, def: D, file: Deno.FsFile) {
    this.path = path;
    this.def = def;
    this.#file = file;
    this.schema = arrowSchema(def);
    this.#cols = def.columns.map((c) => ({ name: c.name, buf: columnBuffer(c.type) }));
    const empty = encodeStream(this.schema, []);
    if (!endsWithEos(empty)) throw new Error("apache-arrow wrote no end-of-stream marker");
    this.#schemaBytes = empty.subarray(0, empty.length - 8);
    this.#write(this.#schemaBytes);
  }

  /** Creates `path` (which must not exist) and writes the schema. */
  static create<D extends TableDef>(path: string, def: D): ArrowStreamWriter<D> {
    const file = Deno.openSync(path, { write: true, createNew: true, mode: 0o600 });
    return new ArrowStreamWriter(path, def, file);
  }

  get pending(): number {
    return this.#n;
  }

  append(row: RowOf<D>): void {
    if (this.#closed) throw new Error(`${this.path}: append after close`);
    const r = row as Record<string, unknown>;
    for (const c of this.#cols) c.buf.push(r[c.name], this.#n);
    this.#n++;
  }

  /** Writes the buffered rows as one record batch. */
  flush(): void {
    if (!this.#n || this.#closed) return;
    const n = this.#n;
    const batch = this.#batch(n);
    this.#n = 0;
    for (const c of this.#cols) c.buf.reset();
    const bytes = encodeStream(this.schema, [batch]);
    const s = this.#schemaBytes;
    for (let i = 0; i < s.length; i++) {
      if (bytes[i] !== s[i]) throw new Error("apache-arrow changed its schema encoding");
    }
    this.#write(bytes.subarray(s.length, bytes.length - 8));
    this.rowsWritten += n;
  }

  /** Flushes, writes the end-of-stream marker and closes the file. */
  close(): void {
    if (this.#closed) return;
    try {
      this.flush();
      this.#write(EOS);
    } finally {
      this.#closed = true;
      this.#file.close();
    }
  }

  /** Closes the file without writing anything more (after a write error). */
  abandon(): void {
    if (this.#closed) return;
    this.#closed = true;
    this.#n = 0;
    try {
      this.#file.close();
    } catch { /* already unusable */ }
  }

  #batch(n: number): arrow.RecordBatch {
    const data = arrow.makeData({
      type: new arrow.Struct(this.schema.fields),
      length: n,
      nullCount: 0,
      children: this.#cols.map((c) => c.buf.toData(n)),
    });
    return new arrow.RecordBatch(this.schema, data);
  }

  #write(bytes: Uint8Array): void {
    let off = 0;
    while (off < bytes.length) off += this.#file.writeSync(bytes.subarray(off));
    this.bytesWritten += bytes.length;
  }
}

/**
 * Reads the rows of an Arrow stream file, batch by batch, tolerating a cut-off end (a capture
 * killed or out of disk mid-write): the batches before the damage are returned, and
 * `damaged` says what stopped the reading.
 */
export function readArrowFile(path: string): {
  rows: Record<string, unknown>[];
  batches: number;
  damaged?: string;
} {
  const rows: Record<string, unknown>[] = [];
  let batches = 0;
  let damaged: string | undefined;
  try {
    const reader = arrow.RecordBatchReader.from(Deno.readFileSync(path));
    for (const batch of reader) {
      batches++;
      const fields = batch.schema.fields;
      for (let i = 0; i < batch.numRows; i++) {
        const o: Record<string, unknown> = {};
        for (const f of fields) {
          const v = batch.getChild(f.name)!.get(i);
          o[f.name] = v instanceof arrow.Vector ? [...v] : v;
        }
        rows.push(o);
      }
    }
  } catch (e) {
    damaged = (e as Error).message;
  }
  return { rows, batches, ...(damaged ? { damaged } : {}) };
}

/** The rows of an Arrow stream file; throws if the file is damaged. */
export function readArrowRows(path: string): Record<string, unknown>[] {
  const r = readArrowFile(path);
  if (r.damaged) throw new Error(`${path}: ${r.damaged}`);
  return r.rows;
}
