/**
 * TLS streams parsed one connection at a time, straight from the `tls` table in DuckDB: the rows
 * come sorted by connection (DuckDB sorts, spilling to disk when it must), and only the current
 * connection's rows and bytes are held in JS while it is rebuilt and parsed. The rows it builds
 * are exactly those `buildHttpTables` builds from the whole table (`HttpAssembler` numbers them
 * as if the connections came in the order of their first TLS call).
 */
import type { DuckDBBlobVector, DuckDBConnection } from "@duckdb/node-api";
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

/** The rows of `tls` for one connection, and the connection rebuilt from them. */
export interface ConnectionRows {
  view: TlsView;
  conn: Connection;
}

const COLUMNS = "pid, conn_id, conn_gen, direction, seq, len, data, truncated, lost, ts_ns, lib";

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

/**
 * Each connection of table `table`, in (pid, conn_id, conn_gen) order, its rows in table order
 * (as the whole-table rebuild sees them). Holds one connection's rows at a time.
 */
export async function* tlsConnections(
  c: DuckDBConnection,
  table = "tls",
): AsyncGenerator<ConnectionRows> {
  const result = await c.stream(
    `SELECT ${COLUMNS} FROM "${
      table.replaceAll('"', '""')
    }" ORDER BY pid, conn_id, conn_gen, rowid`,
  );
  let view = emptyView();
  let key: string | null = null;
  const emit = (): ConnectionRows => {
    const conns = rebuildConnections(view);
    if (conns.length !== 1) throw new Error(`tls_stream: ${conns.length} connections in one group`);
    return { view, conn: conns[0] };
  };
  while (true) {
    const chunk = await result.fetchChunk();
    if (!chunk || chunk.rowCount === 0) break;
    // typed vectors: numbers and bigints read in place, blobs as bytes (no value objects)
    const v = Array.from({ length: 11 }, (_, i) => chunk.getColumnVector(i));
    const blobs = v[6] as DuckDBBlobVector;
    for (let r = 0; r < chunk.rowCount; r++) {
      const pid = v[0].getItem(r);
      const connId = v[1].getItem(r);
      const connGen = v[2].getItem(r);
      const k = `${pid}:${connId}:${connGen}`;
      if (key !== null && k !== key) {
        yield emit();
        view = emptyView();
      }
      key = k;
      const data = blobs.getItemBytes(r);
      (view.pid as unknown[]).push(pid);
      (view.connId as unknown[]).push(connId);
      (view.connGen as unknown[]).push(connGen);
      (view.direction as unknown[]).push(v[3].getItem(r));
      (view.seq as unknown[]).push(v[4].getItem(r));
      (view.len as unknown[]).push(v[5].getItem(r));
      // a copy: the chunk's memory is reused for the next one
      (view.data as unknown[]).push(data === null ? null : new Uint8Array(data));
      (view.truncated as unknown[]).push(v[7].getItem(r));
      (view.lost as unknown[]).push(v[8].getItem(r));
      (view.ts as unknown[]).push(v[9].getItem(r));
      (view.lib as unknown[]).push(v[10].getItem(r));
      view.length++;
    }
  }
  if (key !== null) yield emit();
}

/**
 * `buildHttpTables` over connections given one at a time, in any order: each is parsed as it
 * comes (its bytes are not kept) and its rows go to `sink` at once; returns the numbers that
 * replace their provisional ids (see `HttpAssembler`).
 */
export async function assembleHttpTables(
  recording: string,
  connections: AsyncIterable<ConnectionRows>,
  prices: PriceTable,
  sink: HttpRowSink,
  opts: BuildOptions = {},
): Promise<HttpNumbers> {
  const a = new HttpAssembler(recording, sink);
  let done = 0;
  for await (const { view, conn } of connections) {
    await a.add(conn, await connectionExchanges(recording, view, conn, prices, opts));
    opts.progress?.(++done, done);
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
