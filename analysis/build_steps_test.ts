/**
 * The build steps never end a run: a statement that fails becomes a problem naming its file
 * and the table it leaves empty, later steps still run; rows with nulls a declaration forbids
 * are set aside with a problem naming the table and the row (the first MAX_ROW_PROBLEMS, then
 * a count); the constraints hold once the build is finished. On a real DuckDB.
 */
import assert from "node:assert/strict";
import { DuckDBInstance } from "../kit/duckdb.ts";
import { col, opt, table, view } from "../kit/columns.ts";
import { Build, MAX_ROW_PROBLEMS } from "./build_steps.ts";
import { createTables } from "./duckdb_tables.ts";
import { problemsTable } from "./schema.ts";
import { sqlText } from "./sql_files.ts";

const things = table(
  "things",
  "test",
  [
    col("recording", "utf8", ""),
    col("id", "int64", ""),
    col("name", "utf8", ""),
    opt("note", "utf8", ""),
  ] as const,
);

async function db() {
  const i = await DuckDBInstance.create(":memory:");
  const c = await i.connect();
  return { c, close: () => (c.closeSync(), i.closeSync()) };
}

Deno.test("build steps: a failing statement is a problem and the next step runs", async () => {
  const { c, close } = await db();
  try {
    const b = new Build(c, "rec");
    await b.create([things]);
    assert.equal(
      await b.insert(things, "bad.sql", "INSERT INTO things SELECT 'rec', 'x'::BIGINT, 'a', NULL"),
      false,
    );
    assert.equal(
      await b.insert(things, "good.sql", "INSERT INTO things VALUES ('rec', $id, 'b', NULL)", {
        id: 2,
      }),
      true,
    );
    await b.finish();
    assert.equal(b.problems.length, 1);
    assert.equal(b.problems[0].source, "bad.sql");
    assert.equal(b.problems[0].kind, "sql");
    assert.match(b.problems[0].message, /^Conversion Error: .*; things has no rows from it$/);
    const r = await c.runAndReadAll("SELECT id, name FROM things");
    assert.deepEqual(r.getRows(), [[2n, "b"]]);
  } finally {
    close();
  }
});

Deno.test("build steps: rows with forbidden nulls are set aside, named, and counted", async () => {
  const { c, close } = await db();
  try {
    const b = new Build(c, "rec");
    await b.create([things]);
    await b.insert(
      things,
      "nulls.sql",
      `INSERT INTO things SELECT 'rec', i, CASE WHEN i % 2 = 0 THEN NULL ELSE 'n' || i END, NULL
       FROM range(1000) t(i)`,
    );
    await b.finish();
    const rows = b.problems.filter((p) => p.source === "nulls.sql");
    assert.equal(rows.length, MAX_ROW_PROBLEMS + 1);
    assert.ok(rows.every((p) => p.kind === "row"));
    assert.match(
      rows[0].message,
      /^things: row \(id=\d+, name=null, note=null\): name is null; row left out$/,
    );
    assert.equal(
      rows.at(-1)!.message,
      `things: ${500 - MAX_ROW_PROBLEMS} more rows left out (500 in all)`,
    );
    const n = await c.runAndReadAll("SELECT count(*) FROM things");
    assert.equal(n.getRows()[0][0], 500n);
    // the declaration holds from now on
    await assert.rejects(c.run("INSERT INTO things VALUES ('rec', 1, NULL, NULL)"), /NOT NULL/);
  } finally {
    close();
  }
});

Deno.test("build steps: appended rows that do not fit are set aside, the rest loaded", async () => {
  const { c, close } = await db();
  try {
    const b = new Build(c, "rec");
    await b.create([things]);
    await b.appendRows(things, [
      { recording: "rec", id: 1n, name: "ok", note: null },
      { recording: "rec", id: null, name: "no id", note: null },
      { recording: "rec", id: 3n, name: 42, note: null },
      { recording: "rec", id: 4n, name: "fine", note: "x" },
    ]);
    await b.finish();
    assert.deepEqual(b.problems.map((p) => p.message), [
      'things: row (id=null, name="no id", note=null): id is null; row left out',
      "things: row (id=3, name=42, note=null): name not a string; row left out",
    ]);
    const r = await c.runAndReadAll("SELECT id FROM things ORDER BY id");
    assert.deepEqual(r.getRows(), [[1n], [4n]]);
  } finally {
    close();
  }
});

Deno.test("build steps: a build on its own replaces its earlier problems", async () => {
  const { c, close } = await db();
  try {
    await createTables(c, [problemsTable]);
    await c.run("CREATE TABLE recordings (recording VARCHAR)");
    await c.run("INSERT INTO recordings VALUES ('rec')");
    await c.run("INSERT INTO problems VALUES ('rec', 'tls.arrow', 'file', 'kept', NULL)");
    for (let run = 0; run < 2; run++) {
      const b = new Build(c, null);
      await b.create([things]);
      await b.insert(things, "bad.sql", "INSERT INTO things SELECT 'rec', 1, NULL, NULL");
      await b.finish();
      await b.saveProblems();
    }
    const r = await c.runAndReadAll("SELECT recording, source, kind FROM problems ORDER BY source");
    assert.deepEqual(r.getRows(), [["rec", "bad.sql", "row"], ["rec", "tls.arrow", "file"]]);
  } finally {
    close();
  }
});

Deno.test("build steps: a build on its own (deno task findings) does not add again a problem `problems` already says of a file, as MCP's readers do", async () => {
  const { c, close } = await db();
  try {
    await createTables(c, [problemsTable]);
    await c.run("CREATE TABLE recordings (recording VARCHAR)");
    await c.run("INSERT INTO recordings VALUES ('rec')");
    const cut = "loopback TCP connection 7 (pids 1, 2, port 8080): a call with 10 bytes lost " +
      "(ring buffer full, or unreadable memory): the rest of that stream is not read";
    // as the analysis wrote it
    await c.run("INSERT INTO problems VALUES ('rec', 'ipc.arrow', 'protocol', $1, NULL)", [cut]);
    for (let run = 0; run < 3; run++) {
      const b = new Build(c, null);
      b.problem("ipc.arrow", "protocol", cut);
      b.problem("ipc.arrow", "protocol", "a new one");
      await b.saveProblems();
    }
    const r = await c.runAndReadAll(
      "SELECT message, count(*) FROM problems GROUP BY ALL ORDER BY message",
    );
    assert.deepEqual(r.getRows(), [["a new one", 1n], [cut, 1n]]);
  } finally {
    close();
  }
});

Deno.test("build steps: a row with a forbidden null that slipped past every step is named at the end, set aside, and the constraint holds", async () => {
  const { c, close } = await db();
  try {
    const b = new Build(c, "rec");
    await b.create([things]);
    // written behind the steps' back (as a raw table's damaged values reach a later table)
    await c.run("INSERT INTO things VALUES ('rec', 1, 'a', NULL), ('rec', 2, NULL, 'x')");
    await b.finish();
    assert.deepEqual(b.problems.map((p) => [p.source, p.kind, p.message]), [
      ["things", "row", 'things: row (id=2, name=null, note="x"): name is null; row left out'],
    ]);
    assert.deepEqual((await c.runAndReadAll("SELECT id FROM things")).getRows(), [[1n]]);
    await assert.rejects(c.run("INSERT INTO things VALUES ('rec', 3, NULL, NULL)"), /NOT NULL/);
  } finally {
    close();
  }
});

Deno.test("build steps: the constraints added together are undone when one fails, then each holds: the clean table's and the damaged one's", async () => {
  const { c, close } = await db();
  try {
    const others = table("others", "test", [col("recording", "utf8", ""), col("id", "int64", "")]);
    const b = new Build(c, "rec");
    await b.create([others, things]);
    await c.run("INSERT INTO others VALUES ('rec', 1)");
    await c.run("INSERT INTO things VALUES ('rec', 1, 'a', NULL), ('rec', 2, NULL, 'x')");
    await b.finish();
    assert.deepEqual(b.problems.map((p) => p.message), [
      'things: row (id=2, name=null, note="x"): name is null; row left out',
    ]);
    await assert.rejects(c.run("INSERT INTO others VALUES ('rec', NULL)"), /NOT NULL/);
    await assert.rejects(c.run("INSERT INTO things VALUES ('rec', 3, NULL, NULL)"), /NOT NULL/);
  } finally {
    close();
  }
});

Deno.test("build steps: the constraints are added inside a caller's open transaction too", async () => {
  const { c, close } = await db();
  try {
    const b = new Build(c, "rec");
    await b.create([things]);
    await c.run("BEGIN TRANSACTION");
    await c.run("INSERT INTO things VALUES ('rec', 1, 'a', NULL)");
    await b.finish();
    await c.run("COMMIT");
    assert.deepEqual(b.problems, []);
    assert.deepEqual((await c.runAndReadAll("SELECT id FROM things")).getRows(), [[1n]]);
    await assert.rejects(c.run("INSERT INTO things VALUES ('rec', 3, NULL, NULL)"), /NOT NULL/);
  } finally {
    close();
  }
});

Deno.test("build steps: a table stored under a declared view's name (an older analysis) is dropped, and the build's tables are made all the same", async () => {
  const { c, close } = await db();
  try {
    const acts = view("acts_view", "test", [col("recording", "utf8", ""), col("id", "int64", "")]);
    await c.run("CREATE TABLE acts_view (recording VARCHAR, id BIGINT)");
    await c.run("CREATE TABLE things (old INTEGER)");
    const b = new Build(c, "rec");
    await b.create([things, acts]);
    const names = await c.runAndReadAll(
      "SELECT table_name FROM information_schema.tables ORDER BY 1",
    );
    assert.deepEqual(names.getRows(), [["things"]]);
    await c.run("INSERT INTO things VALUES ('rec', 1, 'a', NULL)");
    await b.finish();
    assert.deepEqual(b.problems, []);
  } finally {
    close();
  }
});

/** The first keyword of each statement `c` runs from now on (Build runs its SQL by `c.run`). */
function logRuns(c: { run: (sql: string, ...rest: never[]) => Promise<unknown> }): string[] {
  const ran: string[] = [];
  const run = c.run.bind(c);
  const keyword = (sql: string) => sql.replace(/^\s*(--[^\n]*\n\s*)*/, "").split(/\s+/)[0];
  c.run = (sql: string, ...rest: never[]) => (ran.push(keyword(sql)), run(sql, ...rest));
  return ran;
}

Deno.test("build steps: the constraints go in one transaction (one commit), a failure there rolls it back and they go one by one, and a caller's transaction gets no BEGIN", async () => {
  for (const c0 of ["clean", "a null", "caller's transaction"] as const) {
    const { c, close } = await db();
    try {
      const b = new Build(c, "rec");
      await b.create([things]);
      await c.run(
        c0 === "a null"
          ? "INSERT INTO things VALUES ('rec', 1, 'a', NULL), ('rec', 2, NULL, 'x')"
          : "INSERT INTO things VALUES ('rec', 1, 'a', NULL)",
      );
      if (c0 === "caller's transaction") await c.run("BEGIN TRANSACTION");
      const ran = logRuns(c as never);
      await b.finish();
      ran.push("(finished)");
      if (c0 === "caller's transaction") await c.run("COMMIT");
      ran.splice(ran.indexOf("(finished)"));
      const alters = ran.filter((s) => s === "ALTER").length;
      const flow = ran.filter((s) => ["BEGIN", "COMMIT", "ROLLBACK"].includes(s));
      if (c0 === "clean") {
        assert.deepEqual(flow, ["BEGIN", "COMMIT"], c0);
        assert.equal(alters, 3, c0); // recording, id, name: one statement each, together
      } else if (c0 === "a null") {
        assert.deepEqual(flow, ["BEGIN", "ROLLBACK"], c0);
        assert.ok(alters > 3, `${c0}: the ALTERs ran again one by one (${alters})`);
      } else {
        assert.deepEqual(flow, [], c0);
      }
      await assert.rejects(c.run("INSERT INTO things VALUES ('rec', 3, NULL, NULL)"), /NOT NULL/);
    } finally {
      close();
    }
  }
});

Deno.test("build steps: transaction_id.sql tells a caller's open transaction (the same id twice) from autocommit (a new id each statement)", async () => {
  const { c, close } = await db();
  try {
    const id = async () => (await c.runAndReadAll(sqlText("transaction_id"))).getRows()[0][0];
    assert.notEqual(await id(), await id());
    await c.run("BEGIN TRANSACTION");
    assert.equal(await id(), await id());
    await c.run("ROLLBACK");
  } finally {
    close();
  }
});
