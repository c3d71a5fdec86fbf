/**
 * The layering holds on the real module graph: no import against the layers declared in
 * tests/layering.ts, no import cycle, and every top-level folder with TypeScript has a layer.
 */
import assert from "node:assert/strict";
import {
  cycles,
  entryPointImport,
  LAYERS,
  moduleGraph,
  projectModules,
  violation,
} from "./layering.ts";

Deno.test("layering: no module imports above its layer or across independent folders", async () => {
  const edges = await moduleGraph();
  assert.ok(edges.length > 500, `the graph has only ${edges.length} imports`);
  assert.deepEqual(edges.map(violation).filter(Boolean), []);
});

Deno.test("layering: only tests import an entry point (main.ts, *_main.ts)", async () => {
  assert.deepEqual((await moduleGraph()).map(entryPointImport).filter(Boolean), []);
});

Deno.test("layering: no import cycles", async () => {
  assert.deepEqual(cycles(await moduleGraph()), []);
});

Deno.test("layering: every folder with TypeScript modules has a layer", async () => {
  const folders = new Set((await projectModules()).map((f) => f.split("/")[0]));
  assert.deepEqual([...folders].filter((f) => LAYERS[f] === undefined), []);
});

Deno.test("layering: the rule catches what it should", () => {
  assert.equal(violation({ from: "analysis/a.ts", to: "kit/columns.ts" }), undefined);
  assert.match(violation({ from: "analysis/a.ts", to: "lab/simulator/mod.ts" })!, /below/);
  assert.match(violation({ from: "capture/a.ts", to: "analysis/b.ts" })!, /same layer/);
  assert.equal(violation({ from: "capture/a_test.ts", to: "tests/support/ebpf.ts" }), undefined);
  assert.match(violation({ from: "capture/a.ts", to: "tests/support/ebpf.ts" })!, /below/);
  assert.match(entryPointImport({ from: "lab/eval/eval.ts", to: "lab/agents/main.ts" })!, /entry/);
  assert.match(entryPointImport({ from: "lab/a.ts", to: "analysis/analyze_main.ts" })!, /entry/);
  assert.equal(
    entryPointImport({ from: "lab/agents/main_test.ts", to: "lab/agents/main.ts" }),
    undefined,
  );
  assert.equal(entryPointImport({ from: "lab/a.ts", to: "lab/agents/domain.ts" }), undefined);
  assert.deepEqual(cycles([{ from: "a", to: "b" }, { from: "b", to: "a" }]), [["a", "b"]]);
  assert.deepEqual(cycles([{ from: "a", to: "b" }, { from: "b", to: "c" }]), []);
});
