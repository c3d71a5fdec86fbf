/**
 * Writing the HTTP tables into DuckDB connection by connection (provisional ids, renumbered at
 * the end) gives exactly the rows the whole-table parse builds, on every dataset and fixture
 * recording (HTTP/1.1, HTTP/2, Responses over WebSocket with its chains); llm_calls is in call
 * order.
 */
import assert from "node:assert/strict";
import { type DuckDBConnection, DuckDBInstance } from "../kit/duckdb.ts";
import { loadArrowFile } from "./arrow_load.ts";
import { Build } from "./build_steps.ts";
import { tlsView } from "./byte_streams.ts";
import { appendRows, createTables } from "./duckdb_tables.ts";
import { ddl } from "../kit/columns.ts";
import { buildHttpTables } from "./http_tables.ts";
import { writeHttpTables } from "./http_store.ts";
import { loadPrices } from "./pricing.ts";
import { readTable } from "./recording_input.ts";
import {
  ALL_TABLES,
  httpExchangesTable,
  llmCallsTable,
  rawTlsTable,
  sseEventsTable,
  toolCallsTable,
  wsMessagesTable,
} from "./schema.ts";
import { COMMITTED_RECORDINGS } from "./testing.ts";
import { withNames } from "../kit/sql_runner.ts";
import { sqlText } from "./sql_files.ts";

const RECORDINGS = COMMITTED_RECORDINGS;

const HTTP = [httpExchangesTable, sseEventsTable, wsMessagesTable, llmCallsTable, toolCallsTable];

async function count(c: DuckDBConnection, sql: string): Promise<number> {
  return Number((await c.runAndReadAll(sql)).getRows()[0][0]);
}

Deno.test("http_store: the tables written as connections are parsed hold the whole-table parse's rows", async () => {
  const prices = loadPrices();
  let chained = 0;
  for (const dir of RECORDINGS) {
    const i = await DuckDBInstance.create(":memory:");
    const c = await i.connect();
    try {
      await c.run("ATTACH ':memory:' AS want");
      await c.run("USE want");
      await createTables(c, HTTP);
      const t = await buildHttpTables("r", tlsView(readTable(dir, rawTlsTable)), prices);
      await appendRows(c, httpExchangesTable, t.exchanges);
      await appendRows(c, sseEventsTable, t.events);
      await appendRows(c, wsMessagesTable, t.wsMessages);
      await appendRows(c, llmCallsTable, t.calls);
      await appendRows(c, toolCallsTable, t.tools);
      await c.run("USE memory");
      const b = new Build(c, "r");
      await b.create(ALL_TABLES);
      await c.run(sqlText("macros"));
      await loadArrowFile(c, rawTlsTable, `${dir}/tls.arrow`, { recording: "r" });
      // appends between the connections (as a large recording makes them)
      const reader = await i.connect();
      const problems = await writeHttpTables(b, reader, "r", prices, { flushRows: 1 });
      reader.closeSync();
      assert.deepEqual(b.problems, [], dir);
      assert.deepEqual(problems, t.problems, dir);
      assert.ok(t.exchanges.length > 0, `${dir} has exchanges`);
      for (const def of HTTP) {
        const table = { table: def.name };
        const n = await count(c, withNames("SELECT count(*) FROM memory.{{table}}", table));
        assert.equal(
          n,
          await count(c, withNames("SELECT count(*) FROM want.{{table}}", table)),
          def.name,
        );
        for (
          const [a, z, sql] of [
            [
              "memory",
              "want",
              "SELECT * FROM memory.{{table}} EXCEPT ALL SELECT * FROM want.{{table}}",
            ],
            [
              "want",
              "memory",
              "SELECT * FROM want.{{table}} EXCEPT ALL SELECT * FROM memory.{{table}}",
            ],
          ]
        ) {
          const diff = await count(c, withNames(`SELECT count(*) FROM (${sql})`, table));
          assert.equal(diff, 0, `${dir}: ${def.name}: rows of ${a} not in ${z}`);
        }
      }
      // llm_calls in call order, as the whole-table build appends them
      const out = await count(
        c,
        `SELECT count(*) FROM (SELECT llm_call_id, row_number() OVER (ORDER BY rowid) AS k
           FROM memory.llm_calls) WHERE llm_call_id <> k`,
      );
      assert.equal(out, 0, `${dir}: llm_calls in call order`);
      chained += await count(c, "SELECT count(*) FROM llm_calls WHERE previous_llm_call_id > 0");
      const left = await count(
        c,
        "SELECT count(*) FROM information_schema.tables WHERE table_name LIKE 'http_%numbers' OR table_name LIKE '%_parsed'",
      );
      assert.equal(left, 0, "the working tables are dropped");
    } finally {
      c.closeSync();
      i.closeSync();
    }
  }
  assert.ok(chained > 0, "some recording has calls that continue an earlier response");
});

Deno.test("http_store: a renumbering that fails as it runs is a problem, and leaves no provisional rows", async () => {
  const dir = RECORDINGS.find((d) => d.includes("claude")) ?? RECORDINGS[0];
  const i = await DuckDBInstance.create(":memory:");
  const c = await i.connect();
  try {
    const b = new Build(c, "r");
    await b.create(ALL_TABLES);
    await c.run(sqlText("macros"));
    // an llm_calls that refuses every row as http_numbers.sql copies them in (a runtime error,
    // which aborts the transaction the rows were appended in)
    await c.run("DROP TABLE llm_calls");
    await c.run(
      ddl(llmCallsTable, "llm_calls", { notNull: false }).replace(
        /\n\)$/,
        ",\n  CHECK (llm_call_id < 0)\n)",
      ),
    );
    await loadArrowFile(c, rawTlsTable, `${dir}/tls.arrow`, { recording: "r" });
    const reader = await i.connect();
    await writeHttpTables(b, reader, "r", loadPrices());
    reader.closeSync();
    const said = b.problems.filter((p) => p.source === "http_numbers.sql").map((p) => p.message);
    assert.equal(said.length, 2, said.join("\n"));
    assert.match(said[0], /CHECK constraint/);
    assert.match(said[1], /the parsed HTTP rows were not saved/);
    for (const t of ["http_exchanges", "sse_events", "ws_messages", "llm_calls"]) {
      const sql = withNames("SELECT count(*) FROM {{table}}", { table: t });
      assert.equal(await count(c, sql), 0, `${dir}: ${t}`);
    }
    // no transaction is left open: the tool calls, appended after it, are there
    assert.ok(await count(c, "SELECT count(*) FROM tool_calls") > 0, `${dir}: tool_calls`);
  } finally {
    c.closeSync();
    i.closeSync();
  }
});
