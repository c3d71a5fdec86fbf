/**
 * Parsing the TLS streams one connection at a time from DuckDB builds exactly the rows the
 * whole-table parse builds, on every dataset and fixture recording (several agents and
 * providers, HTTP/1.1 and HTTP/2, many connections), and the streamed connections are those of
 * the whole table — with the bytes read back out of DuckDB, or put aside as tls.arrow is loaded;
 * each exchange's rows reach the sink as soon as it is built, not once its connection is done.
 */
import assert from "node:assert/strict";
import { DuckDBInstance } from "@duckdb/node-api";
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

Deno.test("tls_stream: connection by connection from DuckDB, the same rows as the whole-table parse", async () => {
  const prices = loadPrices();
  for (const dir of RECORDINGS) {
    const i = await DuckDBInstance.create(":memory:");
    const c = await i.connect();
    try {
      await createTables(c, [rawTlsTable]);
      await loadArrowFile(c, rawTlsTable, `${dir}/tls.arrow`, { recording: "r" });
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
    } finally {
      c.closeSync();
      i.closeSync();
    }
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
    const i = await DuckDBInstance.create(":memory:");
    const c = await i.connect();
    try {
      await createTables(c, [rawTlsTable]);
      await loadArrowFile(c, rawTlsTable, `${dir}/tls.arrow`, { recording: "r" });
      // what reached the sink, in order: each exchange, then the rows that belong to it
      const seen: string[] = [];
      let last = 0n;
      const sink: HttpRowSink = {
        exchanges(rows) {
          assert.equal(rows.length, 1, `${dir}: one exchange at a time`);
          assert.equal(rows[0].exchange_id, last + 1n, `${dir}: exchanges in order`);
          last = rows[0].exchange_id;
          seen.push(`${rows[0].pid}:${rows[0].conn_id}:${rows[0].conn_gen}`);
        },
        events(rows) {
          for (const e of rows) {
            assert.equal(e.exchange_id, last, `${dir}: an event after its exchange`);
          }
        },
        wsMessages(rows) {
          for (const m of rows) {
            assert.equal(m.exchange_id, last, `${dir}: a message after its exchange`);
          }
        },
        calls(rows) {
          for (const r of rows) {
            assert.equal(r.exchange_id, last, `${dir}: a call after its exchange`);
          }
        },
      };
      await assembleHttpTables("r", tlsConnections(c), prices, sink);
      assert.ok(seen.length > 0, `${dir} has exchanges`);
      if (new Set(seen).size < seen.length) several++;
    } finally {
      c.closeSync();
      i.closeSync();
    }
  }
  // connections that carry several exchanges were among them (keep-alive, HTTP/2)
  assert.ok(several > 0);
});
