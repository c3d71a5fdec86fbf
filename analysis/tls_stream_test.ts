/**
 * Parsing the TLS streams one connection at a time from DuckDB builds exactly the rows the
 * whole-table parse builds, on every dataset and fixture recording (several agents and
 * providers, HTTP/1.1 and HTTP/2, many connections), and the streamed connections are those of
 * the whole table — with the bytes read back out of DuckDB, or put aside as tls.arrow is loaded;
 * each exchange's rows reach the sink as soon as it is built, not once its connection is done.
 */
import assert from "node:assert/strict";
import { type DuckDBConnection, DuckDBInstance } from "../kit/duckdb.ts";
import { loadArrowFile } from "./arrow_load.ts";
import { rebuildConnections, tlsView } from "./byte_streams.ts";
import { createTables } from "./duckdb_tables.ts";
import { buildHttpTables, type HttpRowSink } from "./http_tables.ts";
import { loadPrices } from "./pricing.ts";
import { readTable } from "./recording_input.ts";
import { rawTlsTable } from "./schema.ts";
import {
  assembleHttpTables,
  buildHttpTablesFrom,
  TlsByteScratch,
  tlsConnections,
} from "./tls_stream.ts";
import { COMMITTED_RECORDINGS } from "./testing.ts";

const RECORDINGS = COMMITTED_RECORDINGS;

/** Runs `fn` on an in-memory DuckDB holding the raw tls table of recording `dir`. */
async function withRawTls(dir: string, fn: (c: DuckDBConnection) => Promise<void>) {
  const i = await DuckDBInstance.create(":memory:");
  const c = await i.connect();
  try {
    await createTables(c, [rawTlsTable]);
    await loadArrowFile(c, rawTlsTable, `${dir}/tls.arrow`, { recording: "r" });
    await fn(c);
  } finally {
    c.closeSync();
    i.closeSync();
  }
}

Deno.test("tls_stream: connection by connection from DuckDB, the same rows as the whole-table parse", async () => {
  const prices = loadPrices();
  for (const dir of RECORDINGS) {
    await withRawTls(dir, async (c) => {
      const whole = tlsView(readTable(dir, rawTlsTable));
      const streamed = [];
      for await (const x of tlsConnections(c)) streamed.push(x.conn);
      const key = (
        x: {
          pid: number;
          connId: bigint;
          connGen: number;
          write: { length: number };
          read: { length: number };
        },
      ) => `${x.pid}:${x.connId}:${x.connGen}:${x.write.length}:${x.read.length}`;
      assert.deepEqual(streamed.map(key).sort(), rebuildConnections(whole).map(key).sort(), dir);
      const want = await buildHttpTables("r", whole, prices);
      const got = await buildHttpTablesFrom("r", tlsConnections(c), prices);
      assert.ok(want.exchanges.length > 0, `${dir} has exchanges`);
      assert.deepEqual(got, want, dir);
    });
  }
});

Deno.test("tls_stream: the bytes put aside while tls.arrow loads give the same connections and rows", async () => {
  const prices = loadPrices();
  const dir = await Deno.makeTempDir({ prefix: "tls-stream-test-" });
  try {
    for (const rec of RECORDINGS) {
      const i = await DuckDBInstance.create(":memory:");
      const c = await i.connect();
      try {
        await createTables(c, [rawTlsTable]);
        const bytes = await TlsByteScratch.create(dir);
        const load = await loadArrowFile(
          c,
          rawTlsTable,
          `${rec}/tls.arrow`,
          { recording: "r" },
          undefined,
          (col, start, end) => bytes.addArrowRows(col, start, end),
        );
        assert.ok(load.rows > 0, rec);
        const want = await buildHttpTablesFrom("r", tlsConnections(c), prices);
        const got = await buildHttpTablesFrom("r", tlsConnections(c, "tls", dir, bytes), prices);
        assert.ok(want.exchanges.length > 0, `${rec} has exchanges`);
        assert.deepEqual(got, want, rec);
      } finally {
        c.closeSync();
        i.closeSync();
      }
    }
    // the scratch files are removed once read
    assert.deepEqual([...Deno.readDirSync(dir)], []);
  } finally {
    await Deno.remove(dir, { recursive: true });
  }
});

Deno.test("tls_stream: each exchange's rows go to the sink as it is built, its events and calls after it", async () => {
  const prices = loadPrices();
  let several = 0;
  for (const dir of RECORDINGS) {
    await withRawTls(dir, async (c) => {
      // what reached the sink, in order: per call, its table, its rows' count and exchange ids
      const got: { table: string; n: number; ids: bigint[]; conn?: string }[] = [];
      const ids = (rows: { exchange_id: bigint | null }[]) => rows.map((r) => r.exchange_id!);
      const sink: HttpRowSink = {
        exchanges(rows) {
          got.push({
            table: "exchanges",
            n: rows.length,
            ids: ids(rows),
            conn: `${rows[0]?.pid}:${rows[0]?.conn_id}:${rows[0]?.conn_gen}`,
          });
        },
        events: (rows) => void got.push({ table: "events", n: rows.length, ids: ids(rows) }),
        wsMessages: (rows) => void got.push({ table: "ws", n: rows.length, ids: ids(rows) }),
        calls: (rows) => void got.push({ table: "calls", n: rows.length, ids: ids(rows) }),
      };
      await assembleHttpTables("r", tlsConnections(c), prices, sink);
      const exchanges = got.filter((g) => g.table === "exchanges");
      assert.ok(exchanges.length > 0, `${dir} has exchanges`);
      let last = 0n;
      for (const g of got) {
        if (g.table === "exchanges") {
          assert.equal(g.n, 1, `${dir}: one exchange at a time`);
          assert.equal(g.ids[0], last + 1n, `${dir}: exchanges in order`);
          last = g.ids[0];
        } else {
          for (const id of g.ids) assert.equal(id, last, `${dir}: ${g.table} after its exchange`);
        }
      }
      const conns = exchanges.map((g) => g.conn);
      if (new Set(conns).size < conns.length) several++;
    });
  }
  // connections that carry several exchanges were among them (keep-alive, HTTP/2)
  assert.ok(several > 0);
});
