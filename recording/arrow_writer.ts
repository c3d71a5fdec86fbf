/**
 * Writes one table as an Apache Arrow IPC *stream* file, a record batch per flush, so that a
 * capture killed at any moment leaves a file readable up to its last flush. The schema
 * message is written when the file is created; the end-of-stream marker when it is closed.
 * Files are created with mode 0600 (recordings hold prompts and may hold secrets). The
 * messages are encoded by arrow_ipc.ts, not apache-arrow (which the capture need not load);
 * arrow_reader.ts reads them back with apache-arrow.
 *
 * A batch is also written as soon as its strings and bytes pass MAX_PENDING_BYTES (TLS
 * payloads at a high rate), so the buffers stay small and warm: their memory is used again for
 * each batch, and fresh memory costs more than writing a batch. A write that fails then is
 * thrown by the next flush() or close() (the caller's error path), and later rows are dropped.
 */
import type { ColType, RowOf, TableDef } from "../kit/columns.ts";
import { EOS, recordBatchMessage, schemaMessage } from "./arrow_ipc.ts";
import { type ColumnBuffer, columnBuffer } from "./column_buffers.ts";

/** Strings and bytes held for a batch past which it is written at once. */
export const MAX_PENDING_BYTES = 1 << 20;
const VAR_TYPES = new Set<ColType>(["utf8", "json", "binary", "list_utf8"]);

export class ArrowStreamWriter<D extends TableDef> {
  readonly path: string;
  readonly def: D;
  #file: Deno.FsFile;
  /** absent: what a row that leaves out a column added later gets */
  #cols: { name: string; buf: ColumnBuffer; absent: unknown }[];
  #n = 0;
  #closed = false;
  /** the columns of variable size, whose bytes decide an early batch */
  #varCols: ColumnBuffer[];
  /** a write of an early batch that failed, for the next flush() to throw */
  #failed: unknown;
  /** rows and bytes written to the file so far */
  rowsWritten = 0;
  bytesWritten = 0;

  private constructor(path: string, def: D, file: Deno.FsFile) {
    this.path = path;
    this.def = def;
    this.#file = file;
    this.#cols = def.columns.map((c) => ({
      name: c.name,
      buf: columnBuffer(c.type),
      absent: c.absent?.value,
    }));
    this.#varCols = this.#cols.filter((_, i) => VAR_TYPES.has(def.columns[i].type)).map((c) =>
      c.buf
    );
    this.#write(schemaMessage(def));
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
    if (this.#failed !== undefined) return;
    const r = row as Record<string, unknown>;
    for (const c of this.#cols) {
      const v = r[c.name];
      c.buf.push(v === undefined ? c.absent : v, this.#n);
    }
    this.#n++;
    let bytes = 0;
    for (const b of this.#varCols) bytes += b.varBytes;
    if (bytes >= MAX_PENDING_BYTES) {
      try {
        this.flush();
      } catch (e) {
        this.#failed = e;
      }
    }
  }

  /** Writes the buffered rows as one record batch. */
  flush(): void {
    if (this.#failed !== undefined) throw this.#failed;
    if (!this.#n || this.#closed) return;
    const n = this.#n;
    const nodes = [], buffers: (Uint8Array | Uint8Array[])[] = [];
    for (const c of this.#cols) {
      const part = c.buf.toIpc(n);
      nodes.push(...part.nodes);
      buffers.push(...part.buffers);
    }
    this.#n = 0;
    for (const part of recordBatchMessage(n, nodes, buffers)) this.#write(part);
    for (const c of this.#cols) c.buf.reset();
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

  #write(bytes: Uint8Array): void {
    let off = 0;
    while (off < bytes.length) off += this.#file.writeSync(bytes.subarray(off));
    this.bytesWritten += bytes.length;
  }
}
