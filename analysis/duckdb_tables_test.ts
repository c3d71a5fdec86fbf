/**
 * Rows appended through `duckdb_tables.ts` read back exactly as given, for every column type:
 * nulls, strings short enough to sit in DuckDB's string entry and longer ones, non-ASCII text,
 * a column holding one value in every row, bytes, lists, several data chunks, and rows set
 * aside in between.
 */
import assert from "node:assert/strict";
import { added, col, opt, table } from "../kit/columns.ts";
import { appendColumns, appendRows, createTables, type RejectedRow } from "./duckdb_tables.ts";
import { withDb } from "./analysed_db.ts";

const def = table(
  "t",
  "every column type",
  [
    col("k", "int64", "row number"),
    opt("i64", "int64", ""),
    opt("i32", "int32", ""),
    opt("f64", "float64", ""),
    opt("b", "bool", ""),
    col("same", "utf8", "one value in every row"),
    opt("s", "utf8", ""),
    opt("j", "json", ""),
    opt("bin", "binary", ""),
    opt("list", "list_utf8", ""),
  ] as const,
);

const texts = [
  "",
  "a",
  "twelve bytes",
  "thirteen byte",
  "é",
  "ééééé€", // 13 bytes in 6 characters
  "€€€€", // 12 bytes
  "日本語のテキスト",
  "x".repeat(5000),
  "emoji 🎉 here",
];

function row(k: number): Record<string, unknown> {
  const t = texts[k % texts.length];
  return {
    k: BigInt(k),
    i64: k % 7 === 0 ? null : BigInt(k) * 1_000_000_007n - 2n ** 62n,
    i32: k % 5 === 0 ? null : k % 2 ? -k : k * 1000,
    f64: k % 6 === 0 ? null : k / 7,
    b: k % 4 === 0 ? null : k % 3 === 0,
    same: "the same recording name in every row",
    s: k % 11 === 0 ? null : `${t}${k % 3 ? "" : k}`,
    j: k % 9 === 0 ? null : JSON.stringify({ k, t }),
    bin: k % 8 === 0 ? null : new TextEncoder().encode(t).slice(0, k % 40),
    list: k % 10 === 0 ? null : k % 10 === 1 ? [] : [t, String(k), "é"],
  };
}

async function readBack(
  c: import("@duckdb/node-api").DuckDBConnection,
): Promise<Record<string, unknown>[]> {
  const r = await c.runAndReadAll(
    "SELECT k, i64, i32, f64, b, same, s, j, bin, list FROM t ORDER BY rowid",
  );
  return (r.getRowObjectsJS() as Record<string, unknown>[]).map((o) => ({
    ...o,
    j: o.j === null ? null : String(o.j),
    bin: o.bin === null ? null : new Uint8Array(o.bin as Uint8Array),
  }));
}

const want = (rows: Record<string, unknown>[]) =>
  rows.map((r) => ({ ...r, bin: r.bin === null ? null : new Uint8Array(r.bin as Uint8Array) }));

Deno.test("duckdb_tables: appended rows of every column type read back as given", async () => {
  await withDb(":memory:", async (c) => {
    await createTables(c, [def]);
    // more than two chunks of 2048, with rows set aside in the first and the last chunk
    const rows = Array.from({ length: 4500 }, (_, k) => row(k));
    const given = rows.map((r, k) => k === 3 || k === 4400 ? { ...r, s: 42 } : r);
    const rejected: RejectedRow[] = [];
    await appendRows(c, def, given, { onReject: (r) => rejected.push(r) });
    assert.deepEqual(rejected, [{ row: 3, why: "s not a string" }, {
      row: 4400,
      why: "s not a string",
    }]);
    assert.deepEqual(await readBack(c), want(rows.filter((_, k) => k !== 3 && k !== 4400)));
  });
});

Deno.test("duckdb_tables: one row, a null in every nullable column, and typed-array columns", async () => {
  await withDb(":memory:", async (c) => {
    await createTables(c, [def]);
    const nulls = {
      k: 1n,
      i64: null,
      i32: null,
      f64: null,
      b: null,
      same: "x",
      s: null,
      j: null,
      bin: null,
      list: null,
    };
    await appendRows(c, def, [nulls]);
    await appendColumns(c, def, {
      length: 3,
      values: {
        k: new BigInt64Array([2n, 3n, 4n]),
        i64: new BigInt64Array([-(2n ** 63n), 0n, 2n ** 63n - 1n]),
        i32: new Int32Array([-(2 ** 31), 0, 2 ** 31 - 1]),
        f64: new Float64Array([-0.5, 0, 1e300]),
      },
    }, { same: "constant from extra" });
    const got = await readBack(c);
    assert.deepEqual(got[0], nulls);
    assert.deepEqual(got.slice(1).map((r) => [r.k, r.i64, r.i32, r.f64, r.same, r.s]), [
      [2n, -(2n ** 63n), -(2 ** 31), -0.5, "constant from extra", null],
      [3n, 0n, 0, 0, "constant from extra", null],
      [4n, 2n ** 63n - 1n, 2 ** 31 - 1, 1e300, "constant from extra", null],
    ]);
  });
});

Deno.test("duckdb_tables: a column added later takes its declared value when a row leaves it out", async () => {
  await withDb(":memory:", async (c) => {
    const later = table(
      "later",
      "a table with added columns",
      [
        col("k", "int64", ""),
        added(col("flag", "bool", ""), "0.2.0", false),
        added(opt("note", "utf8", ""), "0.2.0"),
      ] as const,
    );
    await createTables(c, [later]);
    await appendRows(c, later, [{ k: 1n }, { k: 2n, flag: true, note: "given" }]);
    const r = await c.runAndReadAll("SELECT k, flag, note FROM later ORDER BY k");
    assert.deepEqual(r.getRows(), [[1n, false, null], [2n, true, "given"]]);
  });
});
