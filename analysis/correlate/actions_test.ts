/**
 * `actions` is a view (`sql/actions.sql`): its columns are the declared ones, in order and of
 * their declared types, though no table enforces them; each event's id is its row number in its
 * raw table, from 0, in load order; and a build over a database whose `actions` was a stored
 * table (an analysis before the view) makes the view in its place.
 */
import assert from "node:assert/strict";
import { sqlType } from "../../kit/columns.ts";
import { buildCorrelation } from "./build.ts";
import { actionsTable } from "./schema.ts";
import { all, rows as r, syntheticDb } from "./testing.ts";
import { withNames } from "../../kit/sql_runner.ts";

const recording = () => ({
  process: [
    r.fork(0, 100, 1, "claude"),
    r.exec(10, 100, 1, ["/opt/claude", "-p", "go"]),
    r.fork(500, 200, 100),
    r.exec(510, 200, 100, ["/bin/sh", "-c", "cat notes.txt"]),
    r.exit(600, 200, 100),
  ],
  file: [r.open(520, 200, "/w/notes.txt"), r.open(700, 100, "/w/out.txt", { flags: 577 })],
  llm: [r.llm(1, 100, 300)],
  tools: [r.tool(1, 1, 400, 800, "Bash", { command: "cat notes.txt" })],
});

Deno.test("actions: a view of the declared columns and types; ids are row numbers per table", async () => {
  const { c, close } = await syntheticDb(recording());
  try {
    assert.deepEqual(await buildCorrelation(c), []);
    assert.deepEqual(
      await all(c, "SELECT view_name FROM duckdb_views() WHERE view_name = 'actions'"),
      [{ view_name: "actions" }],
    );
    const cols = await all(
      c,
      `SELECT column_name, data_type FROM duckdb_columns() WHERE table_name = 'actions'
       ORDER BY column_index`,
    );
    assert.deepEqual(
      cols.map((x) => [x.column_name, x.data_type]),
      actionsTable.columns.map((x) => [x.name, sqlType(x.type)]),
    );
    const ids = await all(
      c,
      `SELECT event_table, list(event_id ORDER BY event_id) AS ids,
         list(ts_ns ORDER BY event_id) AS ts
       FROM actions GROUP BY ALL ORDER BY ALL`,
    );
    assert.deepEqual(ids, [
      { event_table: "file", ids: [0n, 1n], ts: [520n, 700n] },
      { event_table: "process", ids: [0n, 1n, 2n, 3n, 4n], ts: [0n, 10n, 500n, 510n, 600n] },
    ]);
    // every declared NOT NULL column holds a value in every row
    for (const col of actionsTable.columns.filter((x) => !x.nullable)) {
      const [n] = await all(
        c,
        withNames("SELECT count(*) AS n FROM {{table}} WHERE {{column}} IS NULL", {
          table: actionsTable.name,
          column: col.name,
        }),
      );
      assert.equal(n.n, 0n, col.name);
    }
  } finally {
    close();
  }
});

Deno.test("actions: a build over a stored actions table makes the view in its place", async () => {
  const { c, close } = await syntheticDb(recording());
  try {
    await c.run("CREATE TABLE actions AS SELECT 1 AS stale");
    assert.deepEqual(await buildCorrelation(c), []);
    const [n] = await all(c, "SELECT count(*) AS n FROM actions");
    assert.equal(n.n, 7n);
    // and again over the view
    assert.deepEqual(await buildCorrelation(c), []);
    assert.deepEqual(await all(c, "SELECT count(*) AS n FROM links"), [{ n: 7n }]);
  } finally {
    close();
  }
});
