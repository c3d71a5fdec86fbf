/**
 * Every `.sql` file runs against the real schema in DuckDB, on a real recording (the Gemini CLI
 * fixture) loaded the way `analyze` loads it, and what the build steps make is checked against
 * the raw events it came from.
 */
import assert from "node:assert/strict";
import { dirname } from "node:path";
import { DuckDBInstance } from "../kit/duckdb.ts";
import { tlsView } from "./byte_streams.ts";
import { appendColumns, appendRows, createTables } from "./duckdb_tables.ts";
import { openRecording } from "./recording_input.ts";
import {
  ALL_TABLES,
  httpExchangesTable,
  llmCallsTable,
  RAW_TABLES,
  recordingsTable,
  toolCallsTable,
  VIEWS,
} from "./schema.ts";
import {
  allSqlFiles,
  BUILD_SQL,
  DB_SQL,
  HTTP_SQL,
  RULES_SQL,
  sqlText,
  STACK_SQL,
  SUMMARY_SQL,
  TABLE_SQL,
  tableSql,
  TLS_SQL,
} from "./sql_files.ts";
import { queryRows, runSql, withNames } from "../kit/sql_runner.ts";
import { ddl } from "../kit/columns.ts";
import { buildCorrelation } from "./correlate/build.ts";
import { analysedCopy, build, fixtureDir } from "./testing.ts";
import { sqlString } from "../kit/columns.ts";

async function loaded(agent: string) {
  const rec = openRecording(fixtureDir(agent));
  const db = await DuckDBInstance.create(":memory:");
  const c = await db.connect();
  await createTables(c, ALL_TABLES);
  for (const name of RULES_SQL) await c.run(sqlText(name));
  for (const def of RAW_TABLES) {
    await appendColumns(c, def, rec.tables.get(def.name)!, { recording: rec.name });
  }
  const t = await build(tlsView(rec.tables.get("tls")!), rec.name);
  await appendRows(c, httpExchangesTable, t.exchanges);
  await appendRows(c, llmCallsTable, t.calls);
  await appendRows(c, toolCallsTable, t.tools);
  return { rec, c, db };
}

Deno.test("every .sql file is a build step, a summary query, an HTTP tables' step, a statement on a declared table or on problems", () => {
  assert.deepEqual(
    allSqlFiles(),
    [
      ...RULES_SQL,
      ...BUILD_SQL,
      ...SUMMARY_SQL,
      ...HTTP_SQL,
      ...TABLE_SQL,
      ...TLS_SQL,
      ...DB_SQL,
      ...STACK_SQL,
    ]
      .sort(),
  );
  for (const v of VIEWS) assert.ok((BUILD_SQL as readonly string[]).includes(v.name));
});

Deno.test("every .sql file runs on the real schema with a real recording", async () => {
  const { rec, c, db } = await loaded("gemini");
  try {
    for (const name of BUILD_SQL) await c.run(sqlText(name));
    for (const name of SUMMARY_SQL) {
      const r = await c.runAndReadAll(sqlText(name), [rec.name]);
      assert.ok(r.columnNames().length > 0, name);
      if (name !== "summary_files") assert.ok(r.currentRowCount > 0, `${name} has rows`);
    }
    // a value for another recording matches nothing: the recording really is bound
    const none = await c.runAndReadAll(sqlText("summary_models"), ["no such recording"]);
    assert.equal(none.currentRowCount, 0);
  } finally {
    c.closeSync();
    db.closeSync();
  }
});

Deno.test("every statement on a declared table runs on each table of the real schema", async () => {
  const { rec, c, db } = await loaded("gemini");
  try {
    for (const name of BUILD_SQL) await c.run(sqlText(name));
    // the TLS reads: every call, once, by connection; a library per connection
    const tls = rec.tables.get("tls")!.length;
    assert.ok(tls > 0);
    for (const name of ["tls_bytes", "tls_calls"] as const) {
      assert.equal((await queryRows(c, tableSql(name, "tls"))).length, tls, name);
    }
    const libs = await queryRows(c, tableSql("tls_connection_libs", "tls"));
    assert.equal(libs.length, new Set(rec.tables.get("tls")!.values.conn_id as BigInt64Array).size);
    // recording_name: the recordings row analyze adds (this load has none: one by name)
    assert.deepEqual(await queryRows(c, sqlText("recording_name")), [{ recording: null }]);
    // (the DDL is made from the declaration, recordingsTable)
    await c.run(`DROP TABLE recordings; ${ddl(recordingsTable, "recordings", { notNull: false })}`);
    await runSql(c, "INSERT INTO recordings (recording) VALUES ($r)", { r: rec.name });
    assert.deepEqual(await queryRows(c, sqlText("recording_name")), [{ recording: rec.name }]);
    assert.deepEqual(await queryRows(c, sqlText("recording_end")), [
      { complete: null, ended_ns: null, exit_code: null },
    ]);
    await c.run("DELETE FROM recordings");
    // unstamped (analyze stamps it), no problems, every process of this run exited
    assert.deepEqual(await queryRows(c, sqlText("analysis_revision")), [{ comment: null }]);
    assert.deepEqual(await queryRows(c, sqlText("problems_by_kind")), []);
    const outlived = await c.runAndReadAll(sqlText("processes_outlived"), [rec.name]);
    assert.deepEqual(outlived.columnNames(), ["pid", "comm"]);
    // every call of this run named its agent
    const unnamed = await c.runAndReadAll(sqlText("llm_calls_unnamed"), [rec.name]);
    assert.deepEqual(unnamed.columnNames(), ["pid", "n", "seen", "comm"]);
    assert.deepEqual(unnamed.getRows(), []);
    // no chain of forks in this run is too deep for process_programs' walk
    const cut = await c.runAndReadAll(sqlText("process_programs_cut"), [rec.name]);
    assert.deepEqual(cut.columnNames(), ["pid", "from_ns", "comm", "kind", "loop_pids"]);
    assert.deepEqual(cut.getRows(), []);
    // nor any LLM caller's lineage for llm_call_agents' walk
    const callersCut = await c.runAndReadAll(sqlText("llm_calls_cut"), [rec.name]);
    assert.deepEqual(callersCut.columnNames(), ["pid", "calls", "comm", "kind", "loop_pids"]);
    assert.deepEqual(callersCut.getRows(), []);
    const [programs] = await queryRows(c, "SELECT count(*) AS n FROM process_programs");
    assert.ok(Number(programs.n) > 0);
    // the digests: every table and view, recordings' path left out
    const tables = (await queryRows(c, sqlText("digest_tables"))).map((r) => r.table_name);
    assert.ok(tables.includes("tls") && tables.includes("recordings"), String(tables));
    const digest = (table: string) => queryRows(c, sqlText("table_digest"), { table, dir: "/" });
    const [tlsDigest] = await digest("tls");
    assert.equal(Number(tlsDigest.n), tls);
    assert.match(String(tlsDigest.md5), /^[0-9a-f]{32}$/);
    assert.deepEqual(await digest("recordings"), [{
      n: 0n,
      md5: "d41d8cd98f00b204e9800998ecf8427e",
    }]);
    const count = async (t: string) =>
      Number(
        (await queryRows(c, withNames("SELECT count(*) AS n FROM {{table}}", { table: t })))[0].n,
      );
    for (const def of ALL_TABLES) {
      const required = def.columns.filter((col) => !col.nullable).map((col) => col.name);
      const before = await count(def.name);
      if (required.length) {
        // the loaded rows have no nulls where the declaration forbids them: none set aside
        const [counts] = await queryRows(c, tableSql("table_null_counts", def.name), { required });
        assert.deepEqual(Object.values(counts), required.map(() => 0n), def.name);
        const rows = await queryRows(c, tableSql("table_null_rows", def.name), {
          columns: [def.columns[0].name, ...required],
          required,
          limit: 5,
        });
        assert.deepEqual(rows, [], def.name);
        await runSql(c, tableSql("table_delete_null_rows", def.name), { required });
        assert.equal(await count(def.name), before, def.name);
        for (const col of required) await c.run(tableSql("column_set_not_null", def.name, col));
      }
      if (def.name === "problems") continue; // the problems statements read it below
      await c.run(tableSql("table_clear", def.name));
      assert.equal(await count(def.name), 0, def.name);
    }
    assert.deepEqual(await queryRows(c, sqlText("problems_said")), []);
    await c.run(
      "INSERT INTO problems (recording, source, kind, message) VALUES ('r', 'a.sql', 'sql', 'm')",
    );
    assert.equal((await queryRows(c, sqlText("problems_said"))).length, 1);
    await runSql(c, sqlText("problems_clear_sources"), { sources: ["b.sql", "a.sql"] });
    assert.deepEqual(await queryRows(c, sqlText("problems_said")), []);
    for (const def of [...ALL_TABLES].reverse()) await c.run(tableSql("table_drop", def.name));
    // (process_programs' walk and llm_call_agents' names, temporary tables, go with the
    // connection)
    assert.deepEqual(
      (await queryRows(c, "SELECT table_name FROM duckdb_tables() ORDER BY 1")).map((t) =>
        t.table_name
      ),
      ["llm_call_names", "process_program_walks"],
    );
  } finally {
    c.closeSync();
    db.closeSync();
  }
});

Deno.test("the stacking statements of deno task sql run on two analysed real recordings", async () => {
  const dbs = [
    await analysedCopy(fixtureDir("gemini"), { prefix: "sl-stack-" }),
    await analysedCopy(fixtureDir("claude"), { prefix: "sl-stack-" }),
  ];
  const db = await DuckDBInstance.create(":memory:");
  const c = await db.connect();
  try {
    await c.run(sqlText("stack_labels"));
    for (const [i, d] of dbs.entries()) {
      await c.run(`ATTACH ${sqlString(d.db)} AS r${i} (READ_ONLY)`);
      await runSql(c, sqlText("stack_label"), { i, label: `label ${i}` });
    }
    assert.deepEqual(await queryRows(c, "SELECT * FROM recording_labels ORDER BY i"), [
      { i: 0, label: "label 0" },
      { i: 1, label: "label 1" },
    ]);
    const everywhere = await queryRows(c, sqlText("stack_tables_everywhere"), { n: 2 });
    const names = new Set(everywhere.map((r) => r.table_name));
    for (const t of ALL_TABLES) assert.ok(names.has(t.name), t.name);
    assert.deepEqual(await queryRows(c, sqlText("stack_tables_everywhere"), { n: 3 }), []);
    const withRecording = await queryRows(c, sqlText("stack_tables_with_recording"));
    for (const t of ALL_TABLES) {
      assert.ok(withRecording.some((r) => r.table_name === t.name), t.name);
    }
  } finally {
    c.closeSync();
    db.closeSync();
    for (const d of dbs) await Deno.remove(dirname(d.dir), { recursive: true });
  }
});

Deno.test("a statement on a table takes only declared names, quoted", () => {
  assert.match(
    tableSql("column_set_not_null", "tls", "conn_id"),
    /ALTER TABLE "tls" ALTER COLUMN "conn_id"/,
  );
  assert.throws(
    () => tableSql("table_clear", "tls; DROP TABLE process"),
    /table_clear\.sql: \{\{table\}\} = "tls; DROP TABLE process" is not a declared table/,
  );
  assert.throws(
    () => tableSql("column_set_not_null", "tls", 'pid" IS NULL --'),
    /column_set_not_null\.sql: \{\{column\}\} = .* is not a declared column of \{\{table\}\}/,
  );
  // a column of another table is not one of this table's
  assert.throws(() => tableSql("column_set_not_null", "tls", "argv"), /not a declared column/);
});

Deno.test("processes: one row per process, agent = the LLM caller and its descendants", async () => {
  const { rec, c, db } = await loaded("claude");
  try {
    for (const name of BUILD_SQL) await c.run(sqlText(name));
    // descendants get their agent from the one walk of the tree, correlation's lineage
    assert.deepEqual(await buildCorrelation(c), []);
    // no agent of this run is too deep below its ancestors for lineage's walk up, nor has
    // ancestors that loop
    const cut = await c.runAndReadAll(sqlText("lineage_cut"), [rec.name]);
    assert.deepEqual(cut.columnNames(), [
      "pid",
      "start_ns",
      "name",
      "kind",
      "loop_pids",
      "loop_names",
    ]);
    assert.deepEqual(cut.getRows(), []);
    const rows = (await c.runAndReadAll("SELECT * FROM processes")).getRowObjectsJS();
    const raw = rec.tables.get("process")!.values;
    const pids = new Set(raw.pid as Int32Array);
    assert.equal(rows.length, pids.size, "no pid was reused in this run: one row each");
    const callers = (await c.runAndReadAll("SELECT DISTINCT pid FROM llm_calls")).getRows()
      .map((r) => r[0]);
    const agents = rows.filter((r) => r.agent_role === "agent");
    assert.deepEqual(agents.map((r) => r.pid), callers);
    assert.equal(agents[0].agent, "claude-code");
    assert.match(String(agents[0].exe), /claude$/);
    // each descendant's parent chain reaches the agent; every other process is outside it
    const byPid = new Map(rows.map((r) => [r.pid, r]));
    for (const r of rows) {
      let p = r;
      const seen = new Set();
      while (p && p.pid !== agents[0].pid && !seen.has(p.pid)) {
        seen.add(p.pid);
        p = byPid.get(p.ppid)!;
      }
      assert.equal(r.agent_role !== null, p?.pid === agents[0].pid, `pid ${r.pid}`);
    }
    // the scripted tool ran in a descendant: the shell pipeline's tee
    const tee = rows.find((r) => String(r.exe).endsWith("/tee"))!;
    assert.equal(tee.agent_role, "descendant");
    assert.deepEqual(tee.argv, ["tee", "marker.txt"]);
    assert.equal(tee.exit_code, 0);
    // file_events: marker.txt was written by that tee
    const w = (await c.runAndReadAll(
      "SELECT pid, exe FROM file_events WHERE written AND path LIKE '%/marker.txt'",
    )).getRows();
    assert.deepEqual(w, [[tee.pid, tee.exe]]);
    const net = (await c.runAndReadAll("SELECT count(*), count(agent) FROM net_events")).getRows();
    assert.equal(net[0][0], net[0][1], "every connect/DNS event has its process context");
  } finally {
    c.closeSync();
    db.closeSync();
  }
});
