import assert from "node:assert/strict";
import { formatResult, streamResult } from "./table_output.ts";

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

Deno.test("CSV and JSON written chunk by chunk are the whole answer's text, as JSON.stringify and RFC 4180 give it", async () => {
  const columns = ["n", "s", "list", "blob"];
  const rows: unknown[][] = [
    [1n, 'a "quoted", text\nwith a newline', ["x", "y"], new TextEncoder().encode("text")],
    [2n ** 60n, null, [], new Uint8Array([0xff, 0])],
    [3, "plain", null, null],
  ];
  const json = rows.map((r) => ({
    n: typeof r[0] === "bigint" && r[0] > 2n ** 53n ? String(r[0]) : Number(r[0]),
    s: r[1],
    list: r[2],
    blob: r[3] === null ? null : r === rows[0] ? "text" : "base64:/wA=",
  }));
  for (const format of ["csv", "json"] as const) {
    const whole = formatResult({ columns, rows }, format);
    for (const size of [1, 2, 3]) {
      const chunks = [];
      for (let i = 0; i < rows.length; i += size) chunks.push(rows.slice(i, i + size));
      let text = "";
      const n = await streamResult(columns, chunks, format, (s) => (text += s));
      assert.equal(n, rows.length);
      assert.equal(text, whole, `${format} in chunks of ${size}`);
    }
    let empty = "";
    await streamResult(columns, [], format, (s) => (empty += s));
    assert.equal(empty, formatResult({ columns, rows: [] }, format));
  }
  assert.equal(formatResult({ columns, rows }, "json"), JSON.stringify(json, null, 2) + "\n");
  assert.equal(formatResult({ columns, rows: [] }, "json"), "[]\n");
  assert.equal(
    formatResult({ columns, rows }, "csv"),
    'n,s,list,blob\r\n1,"a ""quoted"", text\nwith a newline","[""x"",""y""]",text\r\n' +
      "1152921504606846976,,[],base64:/wA=\r\n3,plain,,\r\n",
  );
});

Deno.test("the table shows a cell's terminal escapes and bidi overrides as text; CSV and JSON keep them exact", () => {
  const names = [
    "/w/\x1b]52;c;aGk=\x07", // OSC 52: would write the reader's clipboard
    "/w/evil\x1b[2J\x1b[31mRED", // clear the screen, then red
    "/w/\x1b]8;;http://evil.test\x1b\\link\x1b]8;;\x1b\\", // a hidden hyperlink
    "/w/bidi\u202eexe.txt", // shown reversed: bidi + "txt.exe"
  ];
  const r = { columns: ["path\x1b[8m"], rows: names.map((n) => [n]) };
  const table = formatResult(r, "table", 200);
  // deno-lint-ignore no-control-regex
  assert.doesNotMatch(table, /[\x00-\x08\x0b-\x1f\x7f-\x9f\u202a-\u202e]/);
  const lines = table.split("\n");
  assert.equal(lines[0], "path\\x1b[8m");
  assert.equal(lines[2], "/w/\\x1b]52;c;aGk=\\x07");
  assert.equal(lines[3], "/w/evil\\x1b[2J\\x1b[31mRED");
  assert.equal(lines[5], "/w/bidi\\u202eexe.txt");
  assert.deepEqual(
    JSON.parse(formatResult(r, "json")).map((o: Record<string, string>) => Object.values(o)[0]),
    names,
  );
  assert.ok(formatResult(r, "csv").includes(names[0]), "CSV is data: the bytes as recorded");
});
