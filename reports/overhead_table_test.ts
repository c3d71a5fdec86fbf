/**
 * Tests of the overhead table rebuilt from the benchmark's JSON: on the committed
 * `reports/bench/overhead.json` it agrees with the benchmark's own Markdown, medians recomputed
 * from the runs match the cells, and a tampered file is caught.
 */
import assert from "node:assert/strict";
import { existsSync, readFileSync } from "node:fs";
import { renderSvg } from "./vega.ts";
import {
  loadOverhead,
  meanOverheads,
  median,
  OVERHEAD_JSON,
  overheadChartSpec,
  overheadMarkdown,
  overheadRows,
  paperComparison,
  signedPct,
} from "./overhead_table.ts";

const MD = new URL("./bench/overhead.md", import.meta.url);
const have = existsSync(OVERHEAD_JSON) && existsSync(MD);

Deno.test("median of odd and even counts", () => {
  assert.equal(median([3, 1, 2]), 2);
  assert.equal(median([4, 1, 3, 2]), 2.5);
  assert.ok(Number.isNaN(median([])));
});

Deno.test({
  name: "the rebuilt table agrees with the benchmark's Markdown, cell by cell",
  ignore: !have,
  fn() {
    const json = loadOverhead();
    const rows = overheadRows(json);
    assert.equal(rows.length, json.cells.length);
    const md = readFileSync(MD, "utf8");
    for (const r of rows) {
      assert.ok(r.consistent, `${r.agent} ${r.task}: medians recomputed from the runs agree`);
      const line = md.split("\n").find((l) => l.startsWith(`| ${r.agent} | ${r.task} |`));
      assert.ok(line, `${r.agent} ${r.task} is in overhead.md`);
      assert.ok(
        line.includes(`${signedPct(r.pct)} [${signedPct(r.loPct)}, ${signedPct(r.hiPct)}]`),
        `${line} has ${signedPct(r.pct)}`,
      );
      assert.ok(line.includes(`| ${r.baselineS.toFixed(2)} (`));
    }
    const table = overheadMarkdown(rows);
    assert.equal(table.split("\n").length, rows.length + 2);
    const all = meanOverheads(rows).find((m) => m.agent === "all")!;
    assert.ok(md.includes(`Mean overhead over the cells: ${all.pct.toFixed(1)}%`));
    assert.match(paperComparison(rows), /\| Understand repo \| \+3\.4% \|/);
  },
});

Deno.test({
  name: "a cell whose median does not match its runs is flagged",
  ignore: !have,
  fn() {
    const json = loadOverhead();
    json.cells[0].baselineMs.median *= 1.01;
    assert.equal(overheadRows(json)[0].consistent, false);
    assert.throws(() => loadOverhead(new URL("./vega.ts", import.meta.url)), /cannot read/);
  },
});

Deno.test({
  name: "the chart draws a point and an interval per cell and the paper's three ticks",
  ignore: !have,
  async fn() {
    const rows = overheadRows(loadOverhead());
    const svg = await renderSvg(overheadChartSpec(rows));
    const count = (name: string) =>
      (svg.match(new RegExp(`${name}_marks"[^>]*>(.*?)</g>`, "s"))?.[1].match(
        /role="graphics-symbol"/g,
      ) ?? [])
        .length;
    assert.equal(count("overhead"), rows.length);
    assert.equal(count("interval"), rows.length);
    assert.equal(count("paper"), 3);
  },
});
