/**
 * Writes one table as an Apache Arrow IPC *stream* file, a record batch per flush, so that a
 * capture killed at any moment leaves a file readable up to its last flush. The schema
 * message is written when the file is created; the end-of-stream marker when it is closed.
 * Files are created with mode 0600 (recordings hold prompts and may hold secrets). The
 * messages are encoded by arrow_ipc.ts, not apache-arrow (which the capture need not load);
 * arrow_reader.ts reads them back with apache-arrow.
 */
import type { RowOf, TableDef } from "../kit/columns.ts";
import { EOS, recordBatchMessage, schemaMessage } from "./arrow_ipc.ts";
import { type ColumnBuffer, columnBuffer } from "./column_buffers.ts";

export class ArrowStreamWriter<D extends TableDef> {
  readonly path: string;
  readonly def: D;
  #file: Deno.FsFile;
  /** absent: what a row that leaves out a column added later gets */
  #cols: { name: string; buf: ColumnBuffer; absent: unknown }[];
  #n = 0;
  #closed = false;
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
    const r = row as Record<string, unknown>;
    for (const c of this.#cols) {
      const v = r[c.name];
      c.buf.push(v === undefined ? c.absent : v, this.#n);
    }
    this.#n++;
  }

  /** Writes the buffered rows as one record batch. */
  flush(): void {
    if (!this.#n || this.#closed) return;
    const n = this.#n;
    const nodes = [], buffers = [];
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
