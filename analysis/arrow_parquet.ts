/**
 * The native route of `arrow_load.ts`: the record batches of a capture's Arrow IPC stream,
 * gathered as they were framed in the file, are turned into Parquet by parquet-wasm (Rust's
 * arrow-rs, as WebAssembly), a file per chunk of 32 MiB, and DuckDB reads each file into the
 * table with `read_parquet` (natively, on its own threads, in file order: its insert keeps the
 * order, so rowids follow the file). The next chunk is converted while DuckDB inserts the last
 * one; at most one chunk is held and one is on disk or being read.
 *
 * The Parquet files hold the recording's bytes: they go in the caller's private scratch
 * directory, are written 0600 and are removed as soon as they are read, and on any error.
 */
import * as arrow from "apache-arrow";
import * as pw from "parquet-wasm";
import type { DuckDBConnection } from "@duckdb/node-api";
import { quoteIdent, sqlType, type TableDef } from "../kit/columns.ts";
import { join } from "node:path";

type Constant = boolean | string | number | bigint | null;

/** Where the Parquet files go, and how large a chunk grows before it is written. */
export interface ParquetRoute {
  /** a private (0700) directory, removed by its owner */
  scratch: string;
  /** IPC bytes gathered per Parquet file (default 32 MiB) */
  chunkBytes?: number;
}

const CHUNK_BYTES = 32 << 20;
const EOS = new Uint8Array([0xff, 0xff, 0xff, 0xff, 0, 0, 0, 0]);

let props: pw.WriterProperties | null = null;

/** Plain pages, no compression, no dictionary, no statistics: written once, read once. */
function writerProps(): pw.WriterProperties {
  props ??= new pw.WriterPropertiesBuilder()
    .setCompression(pw.Compression.UNCOMPRESSED)
    .setDictionaryEnabled(false)
    .setStatisticsEnabled(pw.EnabledStatistics.None)
    .setMaxRowGroupSize(122_880) // DuckDB's row group: one reader thread each
    .build();
  return props;
}

/** True when table `def` can take the Parquet route (no JSON columns: DuckDB would check them). */
export function parquetFits(def: TableDef): boolean {
  return def.columns.every((c) => c.type !== "json");
}

let seq = 0;

/**
 * Record batches (as their IPC messages) into `def.name` through Parquet, in the order added.
 * `convert` failing (a batch arrow-rs will not read) hands the chunk back to the caller as
 * apache-arrow batches to append another way, after everything before it is in.
 */
export class ParquetSink {
  #buf = new Uint8Array(1 << 20);
  #len = 0;
  #batches = 0;
  #rows = 0;
  /** rows that went into the table through Parquet (the rest went back to the caller) */
  nativeRows = 0;
  #schema: Uint8Array;
  #insert: Promise<void> | null = null;
  #files = new Set<string>();
  #sql: string;
  #values: Constant[];
  #chunkBytes: number;

  constructor(
    readonly c: DuckDBConnection,
    readonly def: TableDef,
    constants: Record<string, Constant>,
    schemaMessage: Uint8Array,
    readonly route: ParquetRoute,
  ) {
    this.#schema = schemaMessage.slice();
    this.#chunkBytes = route.chunkBytes ?? CHUNK_BYTES;
    this.#values = [];
    const select = def.columns.map((col) => {
      if (!(col.name in constants)) return quoteIdent(col.name);
      this.#values.push(constants[col.name]);
      return `CAST($${this.#values.length} AS ${sqlType(col.type)})`;
    });
    this.#values.push(""); // the file, bound last
    const cols = def.columns.map((col) => quoteIdent(col.name)).join(", ");
    this.#sql = `INSERT INTO ${quoteIdent(def.name)} (${cols}) SELECT ${select.join(", ")} ` +
      `FROM read_parquet($${this.#values.length})`;
    this.#reset();
  }

  #reset(): void {
    this.#len = 0;
    this.#batches = 0;
    this.#rows = 0;
    this.#put(this.#schema);
  }

  #put(bytes: Uint8Array): void {
    if (this.#len + bytes.length > this.#buf.length) {
      const grown = new Uint8Array(Math.max(this.#len + bytes.length, this.#buf.length * 2));
      grown.set(this.#buf.subarray(0, this.#len));
      this.#buf = grown;
    }
    this.#buf.set(bytes, this.#len);
    this.#len += bytes.length;
  }

  /**
   * Adds one record batch message (copied); writes the chunk when it is full. Returns the
   * batches of a chunk that could not be converted (to append another way), else null.
   */
  async add(message: Uint8Array, rows: number): Promise<arrow.RecordBatch[] | null> {
    this.#put(message);
    this.#batches++;
    this.#rows += rows;
    return this.#len >= this.#chunkBytes ? await this.flush() : null;
  }

  /** Writes what is gathered and starts its insert (the previous one done first). */
  async flush(): Promise<arrow.RecordBatch[] | null> {
    if (this.#batches === 0) return null;
    this.#put(EOS);
    const ipc = this.#buf.subarray(0, this.#len);
    let parquet: Uint8Array;
    try {
      // writeParquet takes the table (and frees it)
      parquet = pw.writeParquet(pw.Table.fromIPCStream(ipc), writerProps());
    } catch {
      // handed back whole, read by apache-arrow (the caller's reader already read them once)
      const batches = [...arrow.RecordBatchReader.from(ipc.slice())];
      this.#reset();
      await this.wait();
      return batches;
    }
    this.nativeRows += this.#rows;
    this.#reset();
    const file = join(this.route.scratch, `${this.def.name}-${Deno.pid}-${++seq}.parquet`);
    this.#files.add(file);
    await Deno.writeFile(file, parquet, { mode: 0o600, createNew: true });
    await this.wait();
    this.#insert = this.c.run(this.#sql, [...this.#values.slice(0, -1), file] as never)
      .then(() => {})
      .finally(() => this.#remove(file));
    return null;
  }

  /** Waits for the insert in flight (its error, if any, is thrown here). */
  async wait(): Promise<void> {
    const p = this.#insert;
    this.#insert = null;
    await p;
  }

  async #remove(file: string): Promise<void> {
    this.#files.delete(file);
    await Deno.remove(file).catch(() => {});
  }

  /** Waits for the insert in flight, even after an error, and removes every file left. */
  async close(): Promise<void> {
    try {
      await this.wait();
    } catch { /* the caller has an error of its own */ }
    for (const f of [...this.#files]) await this.#remove(f);
  }
}
