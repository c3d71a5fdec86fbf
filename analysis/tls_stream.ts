/**
 * TLS streams parsed one connection at a time, straight from the `tls` table in DuckDB: the rows
 * come sorted by connection (DuckDB sorts, spilling to disk when it must), and only the current
 * connection's rows and bytes are held in JS while it is rebuilt and parsed. The rows it builds
 * are exactly those `buildHttpTables` builds from the whole table: connections are put back in
 * the order of their first TLS call before the exchanges are numbered.
 */
import type { DuckDBBlobVector, DuckDBConnection } from "@duckdb/node-api";
import { type Connection, rebuildConnections, type TlsView } from "./byte_streams.ts";
import {
  assembleTables,
  type BuildOptions,
  type BuiltExchange,
  connectionExchanges,
  type HttpTables,
} from "./http_tables.ts";
import type { PriceTable } from "./pricing.ts";
import type { ProblemRow } from "./schema.ts";

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

type ConnKey = Pick<Connection, "firstTs" | "pid" | "connId" | "connGen">;

/** Compares connections as the whole-table rebuild orders them. */
function byFirstCall(a: ConnKey, b: ConnKey): number {
  return a.firstTs < b.firstTs ? -1 : a.firstTs > b.firstTs ? 1 : a.pid - b.pid ||
    (a.connId < b.connId ? -1 : a.connId > b.connId ? 1 : a.connGen - b.connGen);
}

/**
 * `buildHttpTables` over connections given one at a time: each is parsed as it comes (its
 * bytes are not kept), and the exchanges are numbered once all are in, in the same order.
 */
export async function buildHttpTablesFrom(
  recording: string,
  connections: AsyncIterable<ConnectionRows>,
  prices: PriceTable,
  opts: BuildOptions = {},
): Promise<HttpTables> {
  const parsed: { key: ConnKey; built: BuiltExchange[]; problems: ProblemRow[] }[] = [];
  for await (const { view, conn } of connections) {
    const r = await connectionExchanges(recording, view, conn, prices, opts);
    // the connection's place in the order needs only its key, not its rows
    const { firstTs, pid, connId, connGen } = conn;
    parsed.push({ key: { firstTs, pid, connId, connGen }, ...r });
    opts.progress?.(parsed.length, parsed.length);
  }
  parsed.sort((a, b) => byFirstCall(a.key, b.key));
  const problems: ProblemRow[] = [];
  const built: BuiltExchange[] = [];
  let order = 0;
  for (const p of parsed) {
    problems.push(...p.problems);
    for (const b of p.built) {
      b.order = order++;
      built.push(b);
    }
  }
  return assembleTables(recording, built, problems);
}
