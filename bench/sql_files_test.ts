/**
 * The benchmarks' `.sql` files run on the real schema: an analysed real-agent recording (the
 * Gemini CLI fixture).
 */
import assert from "node:assert/strict";
import { withDb } from "../analysis/analysed_db.ts";
import { analysedFixture } from "../analysis/correlate/testing.ts";
import { ALL_TABLES } from "../analysis/schema.ts";
import { queryRows, readSql, sqlFilesIn, tableNames, withNames } from "../kit/sql_runner.ts";

const SQL_DIR = new URL("./sql/", import.meta.url);

Deno.test("the benchmarks' .sql files run on an analysed real recording", async () => {
  assert.deepEqual(sqlFilesIn(SQL_DIR), ["bench_fingerprint", "sql_steps_reset"]);
  const db = await analysedFixture("gemini");
  await withDb(db, async (c) => {
    // a fingerprint per declared table: its row count, and a hash that sees every column
    const fingerprint = readSql(SQL_DIR, "bench_fingerprint");
    for (const t of ALL_TABLES) {
      const columns = t.columns.map((x) => x.name);
      const sql = withNames(fingerprint, { table: t.name });
      const [r] = await queryRows(c, sql, { columns });
      const [n] = await queryRows(
        c,
        withNames("SELECT count(*) AS n FROM {{table}}", { table: t.name }),
      );
      assert.match(String(r.fingerprint), new RegExp(`^${n.n} rows, hash \\d+$`), t.name);
      if (n.n) {
        const [one] = await queryRows(c, sql, { columns: columns.slice(0, 1) });
        assert.ok(columns.length === 1 || one.fingerprint !== r.fingerprint, t.name);
      }
    }
    // sql_steps: what the timed build steps make, taken out
    await c.run(readSql(SQL_DIR, "sql_steps_reset"));
    for (const t of ["processes", "process_programs"]) {
      assert.deepEqual(await queryRows(c, `SELECT count(*) AS n FROM ${t}`), [{ n: 0n }], t);
    }
    const names = await tableNames(c);
    for (const v of ["file_events", "net_events"]) assert.ok(!names.has(v), v);
  });
});
