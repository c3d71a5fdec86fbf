/**
 * `sql.ts` in process: an answer in CSV or JSON is written as its rows come, a chunk at a time
 * (several writes, not one string of the whole answer), and its text is the whole answer's.
 */
import assert from "node:assert/strict";
import { run } from "./sql.ts";
import { datasetCopies } from "./testing.ts";
import { formatResult } from "./table_output.ts";

Deno.test("sql --format csv and json: a 5000-row answer is written chunk by chunk, the same text as whole", async () => {
  const { tmp, recs } = await datasetCopies(["demo-claude"], "sl-sql-stream-");
  try {
    const n = 5000;
    const query = `SELECT i, 'row ' || i AS s FROM range(${n}) t(i) ORDER BY i`;
    const rows = Array.from({ length: n }, (_, i) => [BigInt(i), `row ${i}`]);
    for (const format of ["csv", "json"] as const) {
      const writes: string[] = [];
      const code = await run({
        recordings: recs,
        query,
        format,
        out: (s) => writes.push(s),
        err: () => {},
      });
      assert.equal(code, 0);
      assert.equal(writes.join(""), formatResult({ columns: ["i", "s"], rows }, format), format);
      // DuckDB hands 2048 rows at a time: three chunks of rows, each written as it came
      const withRows = writes.filter((w) => w.includes("row "));
      assert.ok(withRows.length >= 3, `${format}: ${withRows.length} writes of rows`);
      assert.ok(withRows.every((w) => w.length < writes.join("").length / 2), format);
    }
  } finally {
    await Deno.remove(tmp, { recursive: true });
  }
});
