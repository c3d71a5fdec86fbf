/**
 * The SQL-file runner: names go into SQL text only from the declared schema, quoted; values
 * are bound, a list as a list.
 */
import assert from "node:assert/strict";
import { DuckDBInstance } from "./duckdb.ts";
import { col, ddl, table } from "./columns.ts";
import { namePlaceholders, queryRows, runSql, tableNames, withNames } from "./sql_runner.ts";

const pets = table(
  "sql_runner_pets",
  "a table of this test",
  [
    col("name", "utf8", "a name"),
    col("legs", "int32", "how many"),
  ] as const,
);

Deno.test("withNames puts in declared names, quoted, and refuses any other", () => {
  const sql = "SELECT {{column}} FROM {{table}} WHERE {{column}} > $n";
  assert.deepEqual(namePlaceholders(sql), ["column", "table"]);
  assert.equal(
    withNames(sql, { table: pets.name, column: "legs" }),
    `SELECT "legs" FROM "sql_runner_pets" WHERE "legs" > $n`,
  );
  assert.throws(
    () => withNames(sql, { table: "pets", column: "legs" }, "pets.sql"),
    /^Error: pets\.sql: \{\{table\}\} = "pets" is not a declared table$/,
  );
  assert.throws(
    () => withNames(sql, { table: pets.name, column: "legs; DROP TABLE x" }, "pets.sql"),
    /pets\.sql: \{\{column\}\} = "legs; DROP TABLE x" is not a declared column of \{\{table\}\}/,
  );
  // a table that only looks declared (not made by table()) is not
  const copy = { ...pets, name: "sql_runner_copy" };
  assert.throws(() => withNames("DELETE FROM {{table}}", { table: copy.name }), /not a declared/);
  assert.throws(() => withNames(sql, { table: pets.name }), /no name for \{\{column\}\}/);
  assert.throws(() => withNames("SELECT 1", { table: pets.name }), /no placeholder \{\{table\}\}/);
});

Deno.test("a declared table's statement runs, its values and a list bound", async () => {
  const db = await DuckDBInstance.create(":memory:");
  const c = await db.connect();
  try {
    await c.run(ddl(pets));
    await c.run(ddl(pets, "pets_scratch", { temp: true }));
    assert.deepEqual(
      await queryRows(c, "SELECT temporary FROM duckdb_tables() WHERE table_name = 'pets_scratch'"),
      [{ temporary: true }],
    );
    assert.ok((await tableNames(c)).has(pets.name));
    const insert = withNames("INSERT INTO {{table}} VALUES ($name, $legs)", { table: pets.name });
    await runSql(c, insert, { name: "cat", legs: 4 });
    await runSql(c, insert, { name: "bird", legs: 2 });
    const rows = await queryRows(
      c,
      withNames("SELECT name FROM {{table}} WHERE list_contains($names, name)", {
        table: pets.name,
      }),
      { names: ["bird", "fish"] },
    );
    assert.deepEqual(rows, [{ name: "bird" }]);
  } finally {
    c.closeSync();
    db.closeSync();
  }
});
