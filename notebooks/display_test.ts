/** Tests the values notebooks display: tables in Markdown, charts as SVG with a text form. */
import assert from "node:assert/strict";
import { cellText, chart, markdownTable, table } from "./display.ts";

const DISPLAY = Symbol.for("Jupyter.display");

Deno.test("a table is Markdown: pipes escaped, texts cut, bigints and lists readable", () => {
  const md = markdownTable([
    { a: 1n, b: "x | y", c: ["p", "q"], d: 0.123456789 },
    { a: 2n, b: "z".repeat(200), c: null, d: 2 },
  ]);
  const lines = md.split("\n");
  assert.equal(lines[0], "| a | b | c | d |");
  assert.equal(lines[2], "| 1 | x \\| y | p q | 0.123457 |");
  assert.ok(lines[3].includes("z".repeat(119) + "…"));
  assert.equal(markdownTable([]), "_(no rows)_");
  assert.match(markdownTable([{ a: 1 }, { a: 2 }, { a: 3 }], { max: 2 }), /… 1 more rows$/);
  assert.equal(cellText({ items: ["a", "b"] }), "a b");
  const t = table([{ a: 1 }])[DISPLAY]();
  assert.equal(t["text/markdown"], "| a |\n| --- |\n| 1 |");
});

Deno.test("a chart displays as SVG and names its marks in text", async () => {
  const d = (await chart({
    title: "bars",
    data: { values: [{ x: "a", y: 1 }, { x: "b", y: 2 }] },
    mark: "bar",
    encoding: { x: { field: "x", type: "nominal" }, y: { field: "y", type: "quantitative" } },
  }))[DISPLAY]();
  assert.match(d["image/svg+xml"], /^<svg /);
  assert.match(d["text/plain"], /^\[chart: bars, \d+ marks\]$/);
});

Deno.test("a table shows recorded markup, links, math and terminal escapes as text, not as what they do", () => {
  const path = "/w/<img src=x onerror=alert(1)>[docs](http://evil.test)$x$_a_\x1b]52;c;aGk=\x07";
  const t = table([{ path }])[DISPLAY]();
  const md = t["text/markdown"].split("\n")[2];
  assert.equal(
    md,
    "| /w/\\<img src=x onerror=alert(1)\\>\\[docs\\](http://evil.test)\\$x\\$\\_a\\_\\\\x1b\\]52;c;aGk=\\\\x07 |",
  );
  // every character Markdown or HTML acts on is escaped: removing the escapes gives the text back
  assert.equal(
    md.slice(2, -2).replace(/\\(.)/g, "$1"),
    path.replace("\x1b", "\\x1b").replace("\x07", "\\x07"),
  );
  assert.equal(
    t["text/plain"].split("\n")[2],
    "| /w/<img src=x onerror=alert(1)>[docs](http://evil.test)$x$_a_\\x1b]52;c;aGk=\\x07 |",
  );
});
