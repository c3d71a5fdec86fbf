import assert from "node:assert/strict";
import { formatResult } from "./table_output.ts";

Deno.test("a table of 300000 rows prints whole, aligned (it overflowed the stack above ~125k)", () => {
  const n = 300_000;
  const rows = Array.from({ length: n }, (_, i) => [BigInt(i), i === 7 ? "the longest text" : "x"]);
  const text = formatResult({ columns: ["n", "s"], rows }, "table");
  const lines = text.trimEnd().split("\n");
  assert.equal(lines.length, n + 3, "header, rule, every row, the count");
  assert.equal(lines[0], "     n  s");
  assert.equal(lines[1], "------  ----------------");
  assert.equal(lines[2 + 7], "     7  the longest text");
  assert.equal(lines[2 + n - 1], "299999  x");
  assert.equal(lines.at(-1), "(300000 rows)");
});

Deno.test("columns are as wide as their header when every value is shorter", () => {
  const text = formatResult(
    { columns: ["a_long_name", "b"], rows: [[1, "yes"], [null, "no"]] },
    "table",
  );
  assert.equal(
    text,
    "a_long_name  b\n-----------  ---\n          1  yes\n             no\n(2 rows)\n",
  );
});
