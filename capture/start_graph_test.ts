/**
 * What Deno reads before the capture's first line runs: every module main.ts reaches through
 * code imports, dynamic ones with a literal specifier included. None may be an npm package or
 * a node: module: one npm package there has Deno resolve the npm packages and check
 * node_modules at every capture's start (~4 ms of CPU), and node: modules are slow to load.
 * Code needing them imports them when it runs (locate/mod.ts, kit/later.ts); each later() names
 * its module twice (the type, the URL), and the last test checks the two agree.
 */
import assert from "node:assert/strict";
import { CAPTURE_MAIN } from "./command_line.ts";
import { filePath } from "../kit/file_path.ts";

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

/** The `later(` calls of a module's code (comments left out), and those of the one form. */
function laterCalls(text: string): { calls: number; named: [string, string][] } {
  const code = text.replace(/\/\*[\s\S]*?\*\//g, "").replace(/(^|[^:])\/\/.*$/gm, "$1");
  const form =
    /\blater<typeof import\("([^"]+)"\)>\(\s*(?:here\("([^"]+)"\)|new URL\("([^"]+)", import\.meta\.url\))\s*,?\s*\)/g;
  return {
    calls: [...code.matchAll(/\blater\s*[<(]/g)].length,
    named: [...code.matchAll(form)].map((m) => [m[1], m[2] ?? m[3]]),
  };
}

Deno.test("laterCalls() sees a type and a URL that disagree, and a call of another form", () => {
  const bad = laterCalls(
    `// later(x) in a comment\nconst a = later<typeof import("./h2_glue.ts")>(here("./locator_glue.ts"));`,
  );
  assert.deepEqual(bad, { calls: 1, named: [["./h2_glue.ts", "./locator_glue.ts"]] });
  assert.deepEqual(laterCalls("later(here(name))"), { calls: 1, named: [] });
});

Deno.test("every later() call names the same module as its type and its URL", async () => {
  const root = filePath("../", import.meta.url);
  const callers = [];
  const ls = await new Deno.Command("git", { args: ["ls-files", "*.ts"], cwd: root }).output();
  assert.ok(ls.success, "git ls-files");
  const files = new TextDecoder().decode(ls.stdout).split("\n").filter(Boolean);
  for (const f of files) {
    if (f.endsWith("_test.ts") || f === "kit/later.ts") continue;
    const text = await Deno.readTextFile(`${root}${f}`);
    if (!/from "[./]*\/?(kit\/)?later\.ts"/.test(text)) continue;
    const { calls, named } = laterCalls(text);
    callers.push(f);
    assert.equal(named.length, calls, `${f}: a later() call not of the form checked`);
    for (const [type, url] of named) assert.equal(url, type, `${f}: later<${type}>(${url})`);
  }
  // the check read the modules that call it
  assert.ok(callers.includes("capture/locate/mod.ts"), "capture/locate/mod.ts");
});
