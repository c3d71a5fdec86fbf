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
 * each batch, and fresh memory costs more than writing a batch.
 *
 * A write that fails (the disk full, a quota) loses nothing already in the file and nothing of
 * the batch: the file is cut back to its last whole message, so it stays a valid stream, as
 * many of the batch's rows as the file still takes go in smaller batches, and the rest,
 * encoded in batches of at most HOLD_PIECE rows, is held in memory (within a `HoldBudget` shared by a recording's
 * writers) to be written by the next flush, after any held before it, once the disk takes it
 * again. A batch the budget has no room for is dropped and its rows counted (`rowsLost`), as
 * are the held ones close() still cannot write; close() then throws, after leaving the file
 * readable up to its last whole batch (with its end-of-stream marker if that still fits).
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

/**
 * Bytes of encoded batches that writers may hold in memory while their file refuses them; one
 * budget is shared by the writers of a recording.
 */
export class HoldBudget {
  used = 0;
  constructor(readonly limit: number) {}
}

/** The fewest rows a refused batch is cut into (smaller ones cost more than they keep). */
export const MIN_PIECE = 16;

/** The most rows of a batch held in memory as one (a disk with some room takes some). */
export const HOLD_PIECE = 512;

/** What a recording's writers hold at most while the disk refuses their batches. */
export const HOLD_LIMIT = 64 << 20;

/** The file operations the writer uses (a test gives one that fails as a full disk does). */
export type StreamFile = Pick<Deno.FsFile, "writeSync" | "truncateSync" | "seekSync" | "close">;

/** A batch the file refused: its encoded messages in one piece, and its rows. */
interface HeldBatch {
  bytes: Uint8Array;
  rows: number;
}

export class ArrowStreamWriter<D extends TableDef> {
  readonly path: string;
  readonly def: D;
  #file: StreamFile;
  #cols: ColumnBuffer[];
  #append: Appender;
  /** the columns of variable size, whose bytes decide an early batch */
  #varCols: ColumnBuffer[];
  #n = 0;
  #closed = false;
  /** batches the file refused, oldest first, waiting for it to take them */
  #held: HeldBatch[] = [];
  #budget: HoldBudget;
  /** rows and bytes written to the file so far (bytes: up to its last whole message) */
  rowsWritten = 0;
  bytesWritten = 0;
  /** rows of batches that could not be written and were dropped */
  rowsLost = 0;
  /** the first write error (kept once the file takes batches again), its message */
  firstError: string | undefined;

  private constructor(path: string, def: D, file: StreamFile, budget?: HoldBudget) {
    this.path = path;
    this.def = def;
    this.#file = file;
    this.#budget = budget ?? new HoldBudget(HOLD_LIMIT);
    this.#cols = def.columns.map((c) => columnBuffer(c.type));
    this.#append = appender(def, this.#cols);
    this.#varCols = this.#cols.filter((_, i) => VAR_TYPES.has(def.columns[i].type));
    if (!this.#write([schemaMessage(def)])) {
      file.close();
      throw new Error(`${path}: ${this.firstError}`);
    }
  }

  /**
   * Creates `path` (which must not exist) and writes the schema. `budget`: what the writer may
   * hold while the disk refuses its batches (shared by a recording's writers; default its own
   * HOLD_LIMIT).
   */
  static create<D extends TableDef>(
    path: string,
    def: D,
    budget?: HoldBudget,
  ): ArrowStreamWriter<D> {
    const file = Deno.openSync(path, { write: true, createNew: true, mode: 0o600 });
    return new ArrowStreamWriter(path, def, file, budget);
  }

  /** A writer on a file already open (tests: one that refuses writes as a full disk does). */
  static onFile<D extends TableDef>(
    path: string,
    def: D,
    file: StreamFile,
    budget?: HoldBudget,
  ): ArrowStreamWriter<D> {
    return new ArrowStreamWriter(path, def, file, budget);
  }

  /** rows appended and not yet in a batch */
  get pending(): number {
    return this.#n;
  }

  /** rows of batches held in memory, the file having refused them */
  get held(): number {
    let n = 0;
    for (const b of this.#held) n += b.rows;
    return n;
  }

  /** whether the last write failed (batches are held or were dropped since) */
  get failing(): boolean {
    return this.#held.length > 0;
  }

  append(row: RowOf<D>): void {
    if (this.#closed) throw new Error(`${this.path}: append after close`);
    // (at most what they hold: exact only when it may be past the limit)
    const bytes = this.#append(row as Record<string, unknown>, this.#n);
    this.#n++;
    if (bytes >= MAX_PENDING_BYTES && this.#varBytes() >= MAX_PENDING_BYTES) this.flush();
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

  /**
   * Writes the batches held back, then the buffered rows as one record batch; what the file
   * refuses is held (or, past the budget, dropped and counted). Never throws for a write.
   */
  flush(): void {
    if (this.#closed) return;
    this.#retry();
    if (!this.#n) return;
    const n = this.#n;
    this.#n = 0;
    let from = 0;
    if (!this.#held.length) {
      if (this.#write(this.#batch(n))) from = n;
      else from = this.#writePieces(n);
    }
    // held in pieces, so that a disk with a little room again takes some (copied: the parts
    // are views of the buffers reset below)
    for (let a = from; a < n; a += HOLD_PIECE) {
      const b = Math.min(n, a + HOLD_PIECE);
      this.#hold(this.#batch(b, a), b - a);
    }
    this.rowsWritten += from;
    for (const c of this.#cols) c.reset();
  }

  /** Rows [from, n) of the columns as a record batch message. */
  #batch(n: number, from = 0): Uint8Array[] {
    const nodes = [], buffers: (Uint8Array | Uint8Array[])[] = [];
    for (const c of this.#cols) {
      const part = c.toIpc(n, from);
      nodes.push(...part.nodes);
      buffers.push(...part.buffers);
    }
    return recordBatchMessage(n - from, nodes, buffers);
  }

  /**
   * The file refused a batch of `n` rows: as many of them as it takes go in smaller batches,
   * halved at each refusal down to MIN_PIECE rows (on a disk filled by the recording itself, a
   * 1-second batch can be larger than all the room left: 1.03 MB of a 2 MiB tmpfs stayed
   * free with 31 000 rows refused). Returns the first row not written.
   */
  #writePieces(n: number): number {
    let from = 0;
    let k = n >> 1;
    while (from < n && k >= MIN_PIECE) {
      const to = Math.min(n, from + k);
      if (this.#write(this.#batch(to, from))) from = to;
      else k >>= 1;
    }
    return from;
  }

  /** Writes the held batches, oldest first, while the file takes them. */
  #retry(): void {
    while (this.#held.length) {
      const b = this.#held[0];
      if (!this.#write([b.bytes])) return;
      this.#held.shift();
      this.#budget.used -= b.bytes.length;
      this.rowsWritten += b.rows;
    }
  }

  #hold(parts: Uint8Array[], rows: number): void {
    let size = 0;
    for (const p of parts) size += p.length;
    if (this.#budget.used + size > this.#budget.limit) {
      this.rowsLost += rows;
      return;
    }
    const bytes = new Uint8Array(size);
    let off = 0;
    for (const p of parts) (bytes.set(p, off), off += p.length);
    this.#held.push({ bytes, rows });
    this.#budget.used += size;
  }

  /**
   * Flushes, writes the end-of-stream marker and closes the file. Held batches the file still
   * refuses are dropped and counted; then it throws (the file stays readable up to its last
   * whole batch).
   */
  close(): void {
    if (this.#closed) return;
    try {
      this.flush();
      for (const b of this.#held.splice(0)) {
        this.rowsLost += b.rows;
        this.#budget.used -= b.bytes.length;
      }
      // (a stream without it reads to its last whole batch all the same)
      this.#write([EOS]);
    } finally {
      this.#closed = true;
      this.#file.close();
    }
    if (this.rowsLost) {
      throw new Error(`${this.path}: ${this.firstError}: ${this.rowsLost} rows not written`);
    }
  }

  /** Closes the file without writing anything more (the loader never got ready). */
  abandon(): void {
    if (this.#closed) return;
    this.#closed = true;
    this.#n = 0;
    for (const b of this.#held.splice(0)) this.#budget.used -= b.bytes.length;
    try {
      this.#file.close();
    } catch { /* already unusable */ }
  }

  /**
   * Writes `parts` (whole messages) after the last whole message; false when the file refused
   * them: it is cut back to that message's end (a part-written batch must not stay in the
   * stream) and `firstError` says why.
   */
  #write(parts: Uint8Array[]): boolean {
    let at = this.bytesWritten;
    try {
      for (const bytes of gather(parts)) {
        let off = 0;
        while (off < bytes.length) off += this.#file.writeSync(bytes.subarray(off));
        at += bytes.length;
      }
    } catch (e) {
      this.firstError ??= (e as Error).message;
      try {
        this.#file.truncateSync(this.bytesWritten);
        this.#file.seekSync(this.bytesWritten, Deno.SeekMode.Start);
      } catch { /* left as it is: readers stop at the part-written message */ }
      return false;
    }
    this.bytesWritten = at;
    return true;
  }
}

/** Parts at least this long are written as they are, not copied into the gathering buffer. */
export const GATHER_DIRECT = 64 << 10;

/** The gathering buffer of all writers (they write one after another: no writer keeps it). */
let gathered = new Uint8Array(GATHER_DIRECT * 2);

/**
 * A message's parts (a batch has a header, then each column's buffers and their padding: ~40
 * for the file table) as few writes: runs of parts shorter than GATHER_DIRECT are copied
 * together into one shared buffer, longer parts (a batch's TLS payloads) go out as they are.
 * A write(2) costs ~13 us on this machine whatever its size below a few KiB, so a 1-second
 * flush of a handful of rows was ~40 writes and 0.55 ms a table; copying a part is cheaper
 * than writing it on its own up to tens of KiB. The chunks returned are valid until the next
 * call.
 */
export function gather(parts: readonly Uint8Array[]): Uint8Array[] {
  if (parts.length < 2) return parts as Uint8Array[];
  const out: Uint8Array[] = [];
  let small = 0;
  for (const p of parts) if (p.length < GATHER_DIRECT) small += p.length;
  if (small > gathered.length) gathered = new Uint8Array(small);
  let from = 0, at = 0;
  for (const p of parts) {
    if (p.length < GATHER_DIRECT) {
      gathered.set(p, at);
      at += p.length;
      continue;
    }
    if (at > from) out.push(gathered.subarray(from, at));
    from = at;
    out.push(p);
  }
  if (at > from) out.push(gathered.subarray(from, at));
  return out;
}
