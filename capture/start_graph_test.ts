/**
 * What Deno reads before the capture's first line runs: every module main.ts reaches through
 * code imports, dynamic ones with a literal specifier included. None may be an npm package or
 * a node: module: one npm package there has Deno resolve the npm packages and check
 * node_modules at every capture's start (~4 ms of CPU), and node: modules are slow to load.
 * Code needing them imports them when it runs (locate/mod.ts later()).
 */
import assert from "node:assert/strict";
import { CAPTURE_MAIN } from "./command_line.ts";

interface Dep {
  code?: { specifier?: string };
}

Deno.test("the capture's start-up module graph has no npm package and no node: module", async () => {
  const out = await new Deno.Command(Deno.execPath(), {
    args: ["info", "--json", CAPTURE_MAIN],
    stdout: "piped",
    stderr: "piped",
  }).output();
  assert.ok(out.success, new TextDecoder().decode(out.stderr));
  const graph = JSON.parse(new TextDecoder().decode(out.stdout)) as {
    roots: string[];
    modules: { specifier: string; dependencies?: Dep[] }[];
  };
  const deps = new Map(graph.modules.map((m) => [m.specifier, m.dependencies ?? []]));
  const reached = new Set<string>();
  const todo = [...graph.roots];
  for (let s = todo.pop(); s !== undefined; s = todo.pop()) {
    if (reached.has(s)) continue;
    reached.add(s);
    for (const d of deps.get(s) ?? []) if (d.code?.specifier) todo.push(d.code.specifier);
  }
  const modules = [...reached];
  assert.ok(modules.some((s) => s.endsWith("/capture/recorder.ts")), "the graph was read");
  assert.deepEqual(modules.filter((s) => !s.startsWith("file:")), []);
});
