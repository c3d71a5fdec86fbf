/**
 * The observer's labels and a user's tables across a new analysis of their recording
 * (kept_labels.ts): kept by `analyze` again (labels by a rebuild for another revision too);
 * what cannot be kept, a problems row.
 */
import assert from "node:assert/strict";
import { dirname } from "node:path";
import { ddl } from "../kit/columns.ts";
import { runSql } from "../kit/sql_runner.ts";
import { denoTask, fixtureDir, recordingCopy } from "./testing.ts";
import { queryDb, withDb } from "./analysed_db.ts";
import { labelsTable } from "./observer/schema.ts";
import { ALL_TABLES } from "./schema.ts";

const task = (...args: string[]) => denoTask(args);
const VERDICT = "SELECT recording, session_id, model, risk, category, explanation FROM labels";

/** A copy of a fixture recording, analysed, with one verdict in its labels (as label.ts adds). */
async function labelled(name: string) {
  const rec = await recordingCopy(fixtureDir("claude"), { name });
  assert.equal((await task("analyze", "--quiet", rec)).code, 0);
  await withDb(`${rec}/analysis.duckdb`, async (c) => {
    await c.run(ddl(labelsTable));
    await runSql(
      c,
      "INSERT INTO labels (recording, session_id, model, endpoint, trace_hash, trace_tokens, " +
        "omitted, status, risk, category, explanation, cached, attempts, labelled_ns) VALUES " +
        "($name, 7, 'observer-m', 'http://127.0.0.1:1/v1', 'ab12', 900, 0, 'ok', 4, " +
        "'sensitive_access', 'read ~/.ssh', false, 1, 1795513336105000000)",
      { name },
    );
  });
  return rec;
}

Deno.test("analyze again, and a rebuild for another revision, keep the observer's labels", async () => {
  const rec = await labelled("rec-labelled");
  const want = [{
    recording: "rec-labelled",
    session_id: 7,
    model: "observer-m",
    risk: 4,
    category: "sensitive_access",
    explanation: "read ~/.ssh",
  }];
  const again = await task("analyze", "--quiet", rec);
  assert.equal(again.code, 0, again.stderr);
  assert.equal(again.stderr, "");
  assert.deepEqual(await queryDb(`${rec}/analysis.duckdb`, VERDICT), want);
  // a database of another revision, made again by sql on its way: its labels too
  await withDb(
    `${rec}/analysis.duckdb`,
    (c) => c.run("COMMENT ON TABLE recordings IS 'sightline analysis revision 1'"),
  );
  const s = await task("sql", "--format", "json", rec, "--", VERDICT);
  assert.equal(s.code, 0, s.stderr);
  assert.match(s.stderr, /analysing again\n$/);
  assert.deepEqual(JSON.parse(s.stdout), want);
  // no problem said of it, and every other table as a first analysis makes it
  assert.deepEqual(await queryDb(`${rec}/analysis.duckdb`, "SELECT * FROM problems"), []);
  const tables = await queryDb(
    `${rec}/analysis.duckdb`,
    "SELECT table_name FROM information_schema.tables WHERE table_type = 'BASE TABLE'",
  );
  assert.ok(tables.some((t) => t.table_name === "labels"));
  assert.ok(ALL_TABLES.every((d) => d.view || tables.some((t) => t.table_name === d.name)));
  await Deno.remove(dirname(rec), { recursive: true });
});

Deno.test("labels that cannot be kept are a problems row saying how to make them again", async () => {
  const rec = await labelled("rec-odd-labels");
  // labels of a schema this analysis cannot copy (a column of another type)
  await withDb(
    `${rec}/analysis.duckdb`,
    (c) =>
      c.run(
        "DROP TABLE labels; CREATE TABLE labels (recording VARCHAR, risk VARCHAR); " +
          "INSERT INTO labels VALUES ('x', 'high')",
      ),
  );
  const r = await task("analyze", "--quiet", rec);
  assert.equal(r.code, 0, r.stderr);
  assert.match(
    r.stderr,
    /^analyze: .*rec-odd-labels: analysis.duckdb: the observer's labels of the analysis replaced could not be kept \(.+\): deno task label makes them again/,
  );
  const rows = await queryDb(
    `${rec}/analysis.duckdb`,
    "SELECT source, kind FROM problems",
  );
  assert.deepEqual(rows, [{ source: "analysis.duckdb", kind: "sql" }]);
  await Deno.remove(dirname(rec), { recursive: true });
});

Deno.test("a table written with sql --write is kept by analyze again; by a rebuild for another revision, named as not kept", async () => {
  const rec = await labelled("rec-notes");
  try {
    const w = await task("sql", "--write", rec, "--", "CREATE TABLE notes AS SELECT 42 AS x");
    assert.equal(w.code, 0, w.stderr);
    const notes = "SELECT x FROM r0.notes";
    const again = await task("analyze", "--quiet", rec);
    assert.equal(again.code, 0, again.stderr);
    assert.equal(again.stderr, "");
    assert.deepEqual(await queryDb(`${rec}/analysis.duckdb`, notes.replace("r0.", "")), [{
      x: 42,
    }]);
    // another revision's database: its tables may be ones that revision made, not the user's
    await withDb(
      `${rec}/analysis.duckdb`,
      (c) => c.run("COMMENT ON TABLE recordings IS 'sightline analysis revision 1'"),
    );
    const s = await task(
      "sql",
      "--format",
      "json",
      rec,
      "--",
      "SELECT source, message FROM problems",
    );
    assert.equal(s.code, 0, s.stderr);
    assert.deepEqual(JSON.parse(s.stdout), [{
      source: "analysis.duckdb",
      message: "tables of the analysis replaced (revision 1) that this one does not make are " +
        "not kept: notes (one a user wrote with sql --write is written again)",
    }]);
    assert.deepEqual(await queryDb(`${rec}/analysis.duckdb`, VERDICT).then((r) => r.length), 1);
  } finally {
    await Deno.remove(dirname(rec), { recursive: true });
  }
});

Deno.test("a table an older revision made that this one makes as a view (links) is not taken for a user's", async () => {
  const rec = await labelled("rec-links-table");
  const db = `${rec}/analysis.duckdb`;
  // as revisions before 18 wrote it: `links` a table, not a view
  const asTable = (c: Parameters<Parameters<typeof withDb>[1]>[0]) =>
    c.run(
      "CREATE TABLE links_stored AS SELECT * FROM links; DROP VIEW links; " +
        "ALTER TABLE links_stored RENAME TO links",
    );
  const problems = async () => {
    const s = await task("sql", "--format", "json", rec, "--", "SELECT message FROM problems");
    assert.equal(s.code, 0, s.stderr);
    return JSON.parse(s.stdout);
  };
  try {
    const links = "SELECT count(*)::INT AS n FROM links";
    const [before] = await queryDb(db, links);
    await withDb(db, asTable);
    const again = await task("analyze", "--quiet", rec);
    assert.equal(again.code, 0, again.stderr);
    assert.equal(again.stderr, "");
    assert.deepEqual(await problems(), []);
    assert.deepEqual(await queryDb(db, links), [before]);
    // and by a rebuild for another revision
    await withDb(db, async (c) => {
      await asTable(c);
      await c.run("COMMENT ON TABLE recordings IS 'sightline analysis revision 17'");
    });
    assert.deepEqual(await problems(), []);
    assert.deepEqual(await queryDb(db, links), [before]);
    assert.deepEqual(await queryDb(db, VERDICT).then((r) => r.length), 1);
  } finally {
    await Deno.remove(dirname(rec), { recursive: true });
  }
});
