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
 *
 * Rows go into the columns through an appender made once per table from its declaration
 * (`appender`): straight-line code reading each column's property by name and pushing it into
 * that column's buffer, so every property read and every push sees one shape and one buffer
 * class (a loop over the columns looked properties up by a computed name and called four buffer
 * classes from one place: the larger part of appending a row).
 */
import type { ColType, RowOf, TableDef } from "../kit/columns.ts";
import { EOS, recordBatchMessage, schemaMessage } from "./arrow_ipc.ts";
import { type ColumnBuffer, columnBuffer } from "./column_buffers.ts";

/** Strings and bytes held for a batch past which it is written at once. */
export const MAX_PENDING_BYTES = 1 << 20;
const VAR_TYPES = new Set<ColType>(["utf8", "json", "binary", "list_utf8"]);

/**
 * Appends a row to `bufs` (one per column of the table, in its order) as row `n`; returns the
 * bytes of variable size the buffers hold.
 */
type Appender = (row: Record<string, unknown>, n: number) => number;

const appenders = new WeakMap<TableDef, (bufs: ColumnBuffer[], absent: unknown[]) => Appender>();

/**
 * The appender of a table, from its declaration: its code is made once per table, each
 * writer binds it to its own buffers.
 */
function appender(def: TableDef, bufs: ColumnBuffer[]): Appender {
  let make = appenders.get(def);
  if (!make) {
    const cols = def.columns;
    const lines = cols.map((c, i) => {
      const get = `r[${JSON.stringify(c.name)}]`;
      return c.absent
        ? `  v = ${get}; b${i}.push(v === undefined ? a${i} : v, n);`
        : `  b${i}.push(${get}, n);`;
    });
    const vars = cols.map((_, i) => `b${i} = bufs[${i}], a${i} = absent[${i}]`);
    const varBytes = cols.flatMap((c, i) => VAR_TYPES.has(c.type) ? [`b${i}.varBytes`] : []);
    const body = `"use strict";\nconst ${vars.join(", ")};\n` +
      `return function append_${def.name.replace(/\W/g, "_")}(r, n) {\n  let v;\n` +
      `${lines.join("\n")}\n  return ${varBytes.join(" + ") || "0"};\n};`;
    make = new Function("bufs", "absent", body) as (
      bufs: ColumnBuffer[],
      absent: unknown[],
    ) => Appender;
    appenders.set(def, make);
  }
  return make(bufs, def.columns.map((c) => c.absent?.value));
}

export class ArrowStreamWriter<D extends TableDef> {
  readonly path: string;
  readonly def: D;
  #file: Deno.FsFile;
  #cols: ColumnBuffer[];
  #append: Appender;
  /** the columns of variable size, whose bytes decide an early batch */
  #varCols: ColumnBuffer[];
  #n = 0;
  #closed = false;
  /** a write of an early batch that failed, for the next flush() to throw */
  #failed: unknown;
  /** rows and bytes written to the file so far */
  rowsWritten = 0;
  bytesWritten = 0;

  private constructor(path: string, def: D, file: Deno.FsFile) {
    this.path = path;
    this.def = def;
    this.#file = file;
    this.#cols = def.columns.map((c) => columnBuffer(c.type));
    this.#append = appender(def, this.#cols);
    this.#varCols = this.#cols.filter((_, i) => VAR_TYPES.has(def.columns[i].type));
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
    // (at most what they hold: exact only when it may be past the limit)
    const bytes = this.#append(row as Record<string, unknown>, this.#n);
    this.#n++;
    if (bytes >= MAX_PENDING_BYTES && this.#varBytes() >= MAX_PENDING_BYTES) {
      try {
        this.flush();
      } catch (e) {
        this.#failed = e;
      }
    }
  }

  /** The exact bytes of variable size the columns hold. */
  #varBytes(): number {
    let bytes = 0;
    for (const c of this.#varCols) {
      c.settle?.();
      bytes += c.varBytes;
    }
    return bytes;
  }

  /** Writes the buffered rows as one record batch. */
  flush(): void {
    if (this.#failed !== undefined) throw this.#failed;
    if (!this.#n || this.#closed) return;
    const n = this.#n;
    const nodes = [], buffers: (Uint8Array | Uint8Array[])[] = [];
    for (const c of this.#cols) {
      const part = c.toIpc(n);
      nodes.push(...part.nodes);
      buffers.push(...part.buffers);
    }
    this.#n = 0;
    for (const part of recordBatchMessage(n, nodes, buffers)) this.#write(part);
    for (const c of this.#cols) c.reset();
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
