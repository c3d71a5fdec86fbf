/**
 * The layering holds on the real module graph: no import against the layers declared in
 * tests/layering.ts, no import cycle, and every top-level folder with TypeScript has a layer;
 * the README's layout table names every folder git tracks (and each folder in them), with
 * those layers.
 */
import assert from "node:assert/strict";
import {
  cycles,
  entryPointImport,
  LAYERS,
  moduleGraph,
  projectModules,
  readmeLayout,
  ROOT,
  trackedFolders,
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

Deno.test("layering: README's layout table names every folder, each with its layer", async () => {
  const rows = readmeLayout(Deno.readTextFileSync(`${ROOT}README.md`));
  const folders = await trackedFolders(2);
  const top = [...folders].filter((f) => !f.includes("/")).sort();
  assert.deepEqual(rows.map((r) => r.folder).sort(), top);
  for (const r of rows) assert.equal(r.layer, LAYERS[r.folder] ?? null, r.folder);
  // each folder inside one is named in its row as `sub/` (datasets' recordings aside)
  const text = new Map(rows.map((r) => [r.folder, r.text]));
  const unnamed = [...folders].filter((f) => f.includes("/") && !f.startsWith("datasets/"))
    .filter((f) => !text.get(f.split("/")[0])!.includes(`\`${f.split("/")[1]}/`));
  assert.deepEqual(unnamed, []);
});

Deno.test("layering: the README's layout rows are read with their continuation lines", () => {
  const readme = "# x\n\n## Layout\n\n| layer | folder | what |\n| - | - | - |\n" +
    "| 0 | `kit/` | shared, with |\n|  |  | `sql/` |\n| — | `bpf/` | C |\n\n## Next\n| 9 | `no/` | x |\n";
  assert.deepEqual(readmeLayout(readme), [
    { layer: 0, folder: "kit", text: "shared, with `sql/`" },
    { layer: null, folder: "bpf", text: "C" },
  ]);
  assert.throws(() => readmeLayout("# x\n"), /no ## Layout/);
  assert.throws(
    () => readmeLayout("\n## Layout\n| 0 | kit | x |\n"),
    /not a folder: kit/,
  );
});
