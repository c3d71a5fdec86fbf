/**
 * TLS streams parsed one connection at a time, straight from the `tls` table in DuckDB: the rows
 * come sorted by connection without their bytes (DuckDB sorts, spilling to disk when it must),
 * the bytes from a scratch file where one unsorted pass put them grouped by connection, and
 * only the current connection's rows and bytes are held in JS while it is rebuilt and parsed. The rows it builds
 * are exactly those `buildHttpTables` builds from the whole table (`HttpAssembler` numbers them
 * as if the connections came in the order of their first TLS call).
 */
import { join } from "node:path";
import type { DuckDBBlobVector, DuckDBConnection } from "@duckdb/node-api";
import type { Data } from "apache-arrow";
import { concatBytes } from "../kit/bytes.ts";
import { type Connection, rebuildConnections, type TlsView } from "./byte_streams.ts";
import {
  type BuildOptions,
  connectionExchanges,
  HttpAssembler,
  type HttpNumbers,
  type HttpRowSink,
  type HttpTables,
  memorySink,
} from "./http_tables.ts";
import type { PriceTable } from "./pricing.ts";
import { collectorAbove } from "../kit/gc.ts";
import { tableSql } from "./sql_files.ts";

/** JS heap in use (bytes) above which the parse collects garbage between connections. */
const PARSE_GARBAGE = 256 * 1024 * 1024;
/**
 * ... once it also holds this much more than the last collection left (at 10M the stubs kept
 * for numbering, held as objects, came near PARSE_GARBAGE, and a collection after every
 * connection cost more than half the parse's CPU; they are kept outside the heap now,
 * http_stubs.ts, but what else stays live is not bounded)
 */
const PARSE_GARBAGE_GROWTH = 64 * 1024 * 1024;

/** The rows of `tls` for one connection, and the connection rebuilt from them. */
export interface ConnectionRows {
  view: TlsView;
  conn: Connection;
}

function emptyView(): TlsView & { [k: string]: unknown[] | number } {
  return {
    length: 0,
    pid: [],
    connId: [],
    connGen: [],
    direction: [],
    seq: [],
    len: [],
    data: [],
    truncated: [],
    lost: [],
    ts: [],
    lib: [],
  } as unknown as TlsView & { [k: string]: unknown[] | number };
}

/** Bytes held for the scratch file before they are written. */
const PENDING_BYTES = 16 * 2 ** 20;

/** A connection's bytes in the scratch file: its segments, in table order. */
interface Bucket {
  segments: [number, number][];
  pending: Uint8Array[];
  pendingBytes: number;
}

const keyOf = (pid: unknown, connId: unknown, connGen: unknown) => `${pid}:${connId}:${connGen}`;

// the scratch file is local and private: plain blocking reads and writes (an async call per
// segment cost more than the copy)
function writeAll(f: Deno.FsFile, bytes: Uint8Array): void {
  for (let o = 0; o < bytes.length;) o += f.writeSync(bytes.subarray(o));
}

function readAt(f: Deno.FsFile, pos: number, into: Uint8Array): void {
  f.seekSync(pos, Deno.SeekMode.Start);
  for (let o = 0; o < into.length;) {
    const n = f.readSync(into.subarray(o));
    if (n === null) throw new Error("tls_stream: the scratch file is shorter than written");
    o += n;
  }
}

/**
 * The bytes of every TLS call, given in table order, put in a private scratch file grouped by
 * connection: each connection's bytes gather in memory until 16 MiB are held in all, then
 * each goes to the file as one segment. Sorting the rows with their bytes in DuckDB costs
 * several times more than this. Filled either while `tls.arrow` is loaded (`addArrowRows`, the
 * bytes never read back out of DuckDB) or by one unsorted scan of the table (`fill`).
 */
export class TlsByteScratch {
  readonly buckets = new Map<string, Bucket>();
  #pending = 0;
  #pos = 0;

  private constructor(readonly file: Deno.FsFile, readonly path: string) {}

  /** A new scratch file in `dir`. */
  static async create(dir: string): Promise<TlsByteScratch> {
    const path = join(dir, `tls-bytes-${crypto.randomUUID()}`);
    const file = await Deno.open(path, { read: true, write: true, createNew: true, mode: 0o600 });
    return new TlsByteScratch(file, path);
  }

  /** A call's bytes (kept as given: pass a copy of reused memory). */
  add(key: string, bytes: Uint8Array): void {
    if (bytes.length === 0) return;
    let b = this.buckets.get(key);
    if (!b) this.buckets.set(key, b = { segments: [], pending: [], pendingBytes: 0 });
    b.pending.push(bytes);
    b.pendingBytes += bytes.length;
    this.#pending += bytes.length;
  }

  /** Writes what is held when 16 MiB are (`force`: whatever is held). */
  flush(force = false): void {
    if (!force && this.#pending < PENDING_BYTES) return;
    for (const b of this.buckets.values()) {
      if (!b.pendingBytes) continue;
      const bytes = concatBytes(b.pending);
      writeAll(this.file, bytes);
      b.segments.push([this.#pos, bytes.length]);
      this.#pos += bytes.length;
      b.pending = [];
      b.pendingBytes = 0;
    }
    this.#pending = 0;
  }

  /** Rows [start, end) of a batch of `tls.arrow` just appended to the table. */
  addArrowRows(column: (name: string) => Data, start: number, end: number): void {
    const pid = column("pid");
    const connId = column("conn_id");
    const connGen = column("conn_gen");
    const data = column("data");
    const pids = pid.values as Int32Array;
    const ids = connId.values as BigInt64Array;
    const gens = connGen.values as Int32Array;
    const offs = data.valueOffsets as Int32Array;
    // one copy of the rows' bytes (the batch's memory is reused for the next one), viewed per
    // row: not an array buffer per call
    const first = offs[data.offset + start];
    const bytes = (data.values as Uint8Array).slice(first, offs[data.offset + end]);
    for (let i = start; i < end; i++) {
      const a = offs[data.offset + i] - first;
      const z = offs[data.offset + i + 1] - first;
      if (z === a) continue;
      this.add(
        keyOf(pids[pid.offset + i], ids[connId.offset + i], gens[connGen.offset + i]),
        bytes.subarray(a, z),
      );
    }
    this.flush();
  }

  /** Every call's bytes of `table`, read in table order (no sort). */
  async fill(c: DuckDBConnection, table: string): Promise<void> {
    const result = await c.stream(tableSql("tls_bytes", table));
    const last = new Map<string, bigint>();
    while (true) {
      const chunk = await result.fetchChunk();
      if (!chunk) break;
      // (rowCount asks DuckDB each time: read once per chunk)
      const rows = chunk.rowCount;
      if (rows === 0) break;
      const v = [0, 1, 2].map((i) => chunk.getColumnVector(i));
      const blobs = chunk.getColumnVector(3) as DuckDBBlobVector;
      const rowids = chunk.getColumnVector(4);
      for (let r = 0; r < rows; r++) {
        const bytes = blobs.getItemBytes(r);
        if (!bytes || bytes.length === 0) continue;
        const k = keyOf(v[0].getItem(r), v[1].getItem(r), v[2].getItem(r));
        // the bytes must be in table order (DuckDB keeps it for a scan; checked, not assumed)
        const rowid = rowids.getItem(r) as bigint;
        if (rowid <= (last.get(k) ?? -1n)) {
          throw new Error("tls_stream: tls rows out of table order");
        }
        last.set(k, rowid);
        // a copy: the chunk's memory is reused for the next one
        this.add(k, bytes.slice());
      }
      this.flush();
    }
  }

  /** The connection's bytes, in table order, read back (and forgotten here). */
  take(key: string): Uint8Array {
    this.flush(true);
    const b = this.buckets.get(key);
    const bytes = new Uint8Array(b ? b.segments.reduce((n, [, len]) => n + len, 0) : 0);
    let o = 0;
    for (const [at, len] of b?.segments ?? []) {
      (readAt(this.file, at, bytes.subarray(o, o + len)), o += len);
    }
    this.buckets.delete(key);
    return bytes;
  }

  /** Closes and removes the file. */
  async remove(): Promise<void> {
    try {
      this.file.close();
    } catch { /* closed */ }
    await Deno.remove(this.path).catch(() => {});
  }
}

/**
 * Each connection of table `table`, in (pid, conn_id, conn_gen) order, its rows in table order
 * (as the whole-table rebuild sees them). Holds one connection's rows at a time: DuckDB sorts
 * the rows without their bytes, and the bytes come from a scratch file in `scratchDir` (a
 * private temporary directory when not given; the file is removed after) where they were put
 * grouped by connection. `lib` is the connection's (its first call's) on every row.
 */
export async function* tlsConnections(
  c: DuckDBConnection,
  table = "tls",
  scratchDir?: string,
  filled?: TlsByteScratch,
): AsyncGenerator<ConnectionRows> {
  const dir = filled || scratchDir ? null : await Deno.makeTempDir({ prefix: "sightline-tls-" });
  let scratch = filled;
  try {
    if (!scratch) {
      scratch = await TlsByteScratch.create(scratchDir ?? dir!);
      await scratch.fill(c, table);
    }
    scratch.flush(true);
    const libs = new Map<string, string | null>();
    const l = await c.runAndReadAll(tableSql("tls_connection_libs", table));
    for (const [pid, connId, connGen, lib] of l.getRows()) {
      libs.set(keyOf(pid, connId, connGen), lib as string | null);
    }
    const result = await c.stream(tableSql("tls_calls", table));
    let view = emptyView();
    let sizes: (number | null)[] = [];
    let key: string | null = null;
    const emit = (): ConnectionRows => {
      const bytes = scratch!.take(key!);
      let o = 0;
      if (sizes.reduce((n: number, x) => n + (x ?? 0), 0) !== bytes.length) {
        throw new Error(`tls_stream: connection ${key}: the bytes do not add up to its calls'`);
      }
      o = 0;
      for (const n of sizes) {
        (view.data as unknown[]).push(n === null ? null : bytes.subarray(o, o += n));
      }
      const conns = rebuildConnections(view);
      if (conns.length !== 1) {
        throw new Error(`tls_stream: ${conns.length} connections in one group`);
      }
      return { view, conn: conns[0] };
    };
    // the key and lib are made when the connection changes, not for every row
    let lastPid: unknown = null;
    let lastConnId: unknown = null;
    let lastConnGen: unknown = null;
    let lib: string | null = null;
    while (true) {
      const chunk = await result.fetchChunk();
      if (!chunk) break;
      // (rowCount asks DuckDB each time: read once per chunk)
      const rows = chunk.rowCount;
      if (rows === 0) break;
      // typed vectors: numbers and bigints read in place (no value objects)
      const [pids, connIds, connGens, writes, seqs, lens, nulls, sizesOf, truncs, losts, tss] =
        Array.from({ length: 11 }, (_, i) => chunk.getColumnVector(i));
      for (let r = 0; r < rows; r++) {
        const pid = pids.getItem(r);
        const connId = connIds.getItem(r);
        const connGen = connGens.getItem(r);
        if (key === null || pid !== lastPid || connId !== lastConnId || connGen !== lastConnGen) {
          const k = keyOf(pid, connId, connGen);
          if (key !== null && k !== key) {
            yield emit();
            view = emptyView();
            sizes = [];
          }
          key = k;
          lib = libs.get(k) ?? null;
          lastPid = pid;
          lastConnId = connId;
          lastConnGen = connGen;
        }
        const write = writes.getItem(r);
        (view.pid as unknown[]).push(pid);
        (view.connId as unknown[]).push(connId);
        (view.connGen as unknown[]).push(connGen);
        (view.direction as unknown[]).push(write === null ? null : write ? "write" : "read");
        (view.seq as unknown[]).push(seqs.getItem(r));
        (view.len as unknown[]).push(lens.getItem(r));
        sizes.push(nulls.getItem(r) ? null : Number(sizesOf.getItem(r)));
        (view.truncated as unknown[]).push(truncs.getItem(r));
        (view.lost as unknown[]).push(losts.getItem(r));
        (view.ts as unknown[]).push(tss.getItem(r));
        (view.lib as unknown[]).push(lib);
        view.length++;
      }
    }
    if (key !== null) yield emit();
  } finally {
    await scratch?.remove();
    if (dir) await Deno.remove(dir, { recursive: true }).catch(() => {});
  }
}

/**
 * `buildHttpTables` over connections given one at a time, in any order: each is parsed as it
 * comes (its bytes are not kept) and each of its exchanges goes to the assembler, its rows to
 * `sink`, as soon as it is built (a connection of hundreds of LLM calls does not hold them all
 * until its end); returns the numbers that replace their provisional ids (see `HttpAssembler`).
 */
export async function assembleHttpTables(
  recording: string,
  connections: AsyncIterable<ConnectionRows>,
  prices: PriceTable,
  sink: HttpRowSink,
  opts: BuildOptions = {},
): Promise<HttpNumbers> {
  const a = new HttpAssembler(recording, sink);
  const collect = collectorAbove(PARSE_GARBAGE, PARSE_GARBAGE_GROWTH);
  let done = 0;
  for await (const { view, conn } of connections) {
    const c = a.begin(conn);
    a.end(
      c,
      await connectionExchanges(recording, view, conn, prices, opts, (b) => a.exchange(c, b)),
    );
    opts.progress?.(++done, done);
    // a connection's parse leaves its JSON, lines and views behind: collected here once they
    // pass PARSE_GARBAGE and PARSE_GARBAGE_GROWTH over what the last collection left, not
    // whenever V8's heuristics get to it while DuckDB holds its peak
    collect();
  }
  return a.finish();
}

/** `buildHttpTables` over connections given one at a time; the rows are kept in memory. */
export async function buildHttpTablesFrom(
  recording: string,
  connections: AsyncIterable<ConnectionRows>,
  prices: PriceTable,
  opts: BuildOptions = {},
): Promise<HttpTables> {
  const sink = memorySink();
  return sink.tables(await assembleHttpTables(recording, connections, prices, sink, opts));
}
