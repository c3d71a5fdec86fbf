/**
 * Every `.sql` file of the export runs on the real schema: an analysed real-agent recording
 * (Claude Code's fixture) attached as `src` (the Parquet export's statements) or in use (the
 * OTLP export's), and the Parquet export of it (the statements that read exported files).
 */
import assert from "node:assert/strict";
import { DuckDBInstance } from "../../kit/duckdb.ts";
import { sqlString } from "../../kit/columns.ts";
import { queryRows, readSql, sqlFilesIn, type SqlValue } from "../../kit/sql_runner.ts";
import { analysedFixture } from "../correlate/testing.ts";
import { EXPORT_SQL_DIR, exportParquet, TABLES_KEY } from "./parquet.ts";

Deno.test("every export .sql file runs on an analysed real recording and on its export", async () => {
  const db = await analysedFixture("claude");
  const out = await Deno.makeTempDir({ prefix: "sl-export-sql-" });
  const instance = await DuckDBInstance.create(":memory:");
  const c = await instance.connect();
  const ran = new Set<string>();
  const rows = (name: string, values: Record<string, SqlValue> = {}) => {
    ran.add(name);
    return queryRows(c, readSql(EXPORT_SQL_DIR, name), values);
  };
  try {
    const exported = await exportParquet(db, out);
    assert.deepEqual(exported.problems, []);
    const file = (t: string) => exported.files.find((f) => f.table === t)!.path;
    await c.run(`ATTACH ${sqlString(db)} AS src (READ_ONLY)`);
    const [id] = await rows("export_identity");
    assert.equal(id.recording, exported.recording);
    const [first] = await rows("export_first_event");
    assert.ok(typeof first.t === "bigint" && first.t >= (id.started_ns as bigint));
    assert.deepEqual(await rows("export_exported_recordings", { files: [file("recordings")] }), [
      { host: id.host, started_ns: id.started_ns },
    ]);
    await rows("export_label", { recording: "a 'name'" });
    assert.deepEqual(await queryRows(c, "SELECT * FROM export_label"), [{ recording: "a 'name'" }]);
    const present = new Set((await rows("export_present")).map((r) => r.name));
    for (const f of exported.files) assert.ok(present.has(f.table), f.table);
    // a view's columns as DESCRIBE gives them
    for (const view of ["file_events", "net_events"]) {
      const described = await queryRows(c, `DESCRIBE src.${view}`);
      assert.deepEqual(
        await rows("export_view_columns", { name: view }),
        described.map((r) => ({ column_name: r.column_name, column_type: r.column_type })),
      );
    }
    assert.equal((await rows("export_decode", { file: file("llm_calls") })).length, 1);
    // the recordings file lists every other table written, with its rows
    const [list] = await rows("export_table_lists", {
      files: [file("recordings")],
      key: TABLES_KEY,
    });
    assert.equal(list.file_name, file("recordings"));
    assert.deepEqual(
      JSON.parse(String(list.value)),
      Object.fromEntries(
        exported.files.filter((f) => f.table !== "recordings").map((f) => [f.table, f.rows]),
      ),
    );
    for (const r of await rows("export_problems_by_recording", { files: [file("problems")] })) {
      assert.equal(r.recording, exported.recording);
    }
    // the OTLP export's queries, over the analysis in use
    await c.run("USE src");
    ran.add("otlp_exchanges");
    await c.run(readSql(EXPORT_SQL_DIR, "otlp_exchanges"));
    // (each runs: otlp_test checks what they give)
    for (const name of sqlFilesIn(EXPORT_SQL_DIR).filter((n) => /^otlp_(?!exchanges)/.test(n))) {
      assert.ok(Array.isArray(await rows(name)), name);
    }
    assert.deepEqual(await rows("export_otlp_recording"), [{
      recording: id.recording,
      host: id.host,
    }]);
    assert.deepEqual([...ran].sort(), sqlFilesIn(EXPORT_SQL_DIR));
  } finally {
    c.closeSync();
    instance.closeSync();
    await Deno.remove(out, { recursive: true });
  }
});
