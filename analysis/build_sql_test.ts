/**
 * The build steps over the raw tables alone (build_sql.ts) give the same tables and the same
 * `problems` rows whether they run on a connection of their own beside the HTTP parse or after
 * it on the build's connection: on a real dataset analysed both ways, and when such a step
 * fails (the failure is processes.sql's, as it was before the step was split off from it).
 */
import assert from "node:assert/strict";
import { type DuckDBConnection, DuckDBInstance } from "@duckdb/node-api";
import { appendColumns, createTables } from "./duckdb_tables.ts";
import { openRecording } from "./recording_input.ts";
import { ALL_TABLES, processesTable, RAW_TABLES } from "./schema.ts";
import { RULES_SQL, sqlText } from "./sql_files.ts";
import { Build } from "./build_steps.ts";
import { runBuildSql, startRawSteps } from "./build_sql.ts";
import { analyzeRecording } from "./analyze.ts";
import { withDb } from "./analysed_db.ts";
import { queryRows } from "../kit/sql_runner.ts";
import { datasetCopies, fixtureDir, prices, tableDigests } from "./testing.ts";

const WORKING_TABLES = ["process_incarnations", "process_activity"];

/** Every table's digest, and problems and processes in their stored order. */
async function analysedBoth(dir: string, rawStepsAfter: boolean) {
  const s = await analyzeRecording(dir, prices, { quiet: true, err: () => {}, rawStepsAfter });
  return await withDb(s.db, async (c) => ({
    tables: await tableDigests(c),
    problems: await queryRows(c, "SELECT * FROM problems ORDER BY rowid"),
    processes: await queryRows(c, "SELECT * FROM processes ORDER BY rowid"),
  }), { readOnly: true });
}

Deno.test("build_sql: a dataset analysed with the raw steps beside the parse and after it has the same rows", async () => {
  const name = "team-claude-gemini-codex";
  // two copies: the database is written beside each
  const copies = [
    await datasetCopies([name], "sl-build-sql-"),
    await datasetCopies([name], "sl-build-sql-"),
  ];
  try {
    const beside = await analysedBoth(copies[0].recs[0], false);
    const after = await analysedBoth(copies[1].recs[0], true);
    assert.ok(beside.processes.length > 0 && beside.tables.links.rows > 0, "tables are filled");
    assert.deepEqual(beside.tables, after.tables);
    assert.deepEqual(beside.problems, after.problems);
    assert.deepEqual(beside.processes, after.processes);
    for (const t of WORKING_TABLES) assert.equal(beside.tables[t], undefined, `${t} is dropped`);
  } finally {
    for (const { tmp } of copies) await Deno.remove(tmp, { recursive: true });
  }
});

/** The raw tables of the Gemini CLI fixture in a fresh database (`tls` taken away if asked). */
async function loaded(dropTls: boolean) {
  const rec = openRecording(fixtureDir("gemini"));
  const db = await DuckDBInstance.create(":memory:");
  const c = await db.connect();
  await createTables(c, ALL_TABLES);
  for (const name of RULES_SQL) await c.run(sqlText(name));
  for (const def of RAW_TABLES) {
    await appendColumns(c, def, rec.tables.get(def.name)!, { recording: rec.name });
  }
  if (dropTls) await c.run("DROP TABLE tls");
  return { rec, db, c };
}

/**
 * What the parse does on the build's connection (http_store.ts): a temporary table made before
 * its transaction and dropped in it, rows written in it; `during` runs while it is open.
 */
async function parseLike(c: DuckDBConnection, during: () => Promise<unknown>) {
  await c.run("CREATE TEMP TABLE parse_scratch (n INTEGER)");
  await c.run("BEGIN TRANSACTION");
  await c.run("INSERT INTO parse_scratch SELECT range FROM range(1000)");
  await during();
  await c.run("DROP TABLE parse_scratch");
  await c.run("COMMIT");
}

/** The build steps after `parseLike`, the raw ones beside it or after it; problems, processes. */
async function built(dropTls: boolean, beside: boolean) {
  const { rec, db, c } = await loaded(dropTls);
  try {
    const b = new Build(c, rec.name);
    const raw = beside ? startRawSteps(db) : undefined;
    await parseLike(c, () => raw ?? Promise.resolve());
    await runBuildSql(b, await raw);
    const tables = (await queryRows(c, sqlText("digest_tables"))).map((r) => r.table_name);
    for (const t of WORKING_TABLES) assert.ok(!tables.includes(t), `${t} is dropped`);
    return {
      problems: b.problems,
      processes: await queryRows(c, `SELECT * FROM ${processesTable.name} ORDER BY rowid`),
    };
  } finally {
    c.closeSync();
    db.closeSync();
  }
}

Deno.test("build_sql: the raw steps beside an open transaction give processes the rows they give after it", async () => {
  const beside = await built(false, true);
  const after = await built(false, false);
  assert.deepEqual(beside.problems, []);
  assert.ok(beside.processes.length > 0);
  assert.deepEqual(beside, after);
});

Deno.test("build_sql: a raw step that fails is processes.sql's problem, beside the parse or after it", async () => {
  // the row the unsplit processes.sql gave on the same database (main's 95a4304)
  const want = [{
    recording: "gemini_tool_marker",
    source: "processes.sql",
    kind: "sql",
    message: "Catalog Error: Table with name tls does not exist!; processes has no rows from it",
    exchange_id: null,
  }];
  for (const beside of [true, false]) {
    const got = await built(true, beside);
    assert.deepEqual(got.problems, want, beside ? "beside" : "after");
    assert.deepEqual(got.processes, []);
  }
});
