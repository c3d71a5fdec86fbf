/** Tests that Vega-Lite specs compile and render to SVG headless, and that bad specs fail. */
import assert from "node:assert/strict";
import { compileVegaLite, renderSvg, VEGA_LITE_SCHEMA, type VegaLiteSpec } from "./vega.ts";

const bars: VegaLiteSpec = {
  $schema: VEGA_LITE_SCHEMA,
  title: "overhead",
  data: { values: [{ task: "understand", pct: 1.5 }, { task: "compile", pct: -0.4 }] },
  mark: "bar",
  encoding: {
    x: { field: "task", type: "nominal" },
    y: { field: "pct", type: "quantitative" },
  },
};

Deno.test("a bar chart renders to an SVG document with its title, labels and bars", async () => {
  const svg = await renderSvg(bars);
  assert.match(svg, /^<svg [^>]*xmlns="http:\/\/www.w3.org\/2000\/svg"/);
  assert.match(svg, /<\/svg>$/);
  for (const text of ["overhead", "understand", "compile", "task", "pct"]) {
    assert.ok(svg.includes(`>${text}<`), `the SVG shows ${text}`);
  }
  // two bars: one path per datum in the mark group
  const marks = svg.match(/role-mark[^"]*marks"[^>]*>(.*?)<\/g>/)?.[1] ?? "";
  assert.equal((marks.match(/<path /g) ?? []).length, 2);
});

Deno.test("compiling gives a Vega spec with the data inlined", () => {
  const vg = compileVegaLite(bars);
  const data = vg.data?.find((d) => "values" in d) as { values: unknown[] } | undefined;
  assert.equal(data?.values.length, 2);
});

Deno.test("an invalid spec is an error, not an empty chart", async () => {
  await assert.rejects(
    () => renderSvg({ $schema: VEGA_LITE_SCHEMA } as unknown as VegaLiteSpec),
  );
});
