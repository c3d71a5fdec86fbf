/**
 * What Deno reads before the capture's first line runs: every module main.ts reaches through
 * code imports, dynamic ones with a literal specifier included. None may be an npm package or
 * a node: module: one npm package there has Deno resolve the npm packages and check
 * node_modules at every capture's start (~4 ms of CPU), and node: modules are slow to load.
 * Code needing them imports them when it runs (kit/later.ts). Each mode's modules are
 * main.ts's type-only dependencies (`later<typeof import("./x.ts")>`), read when that mode
 * runs: a capture of its own reads the capture's modules then (the same rule holds for them),
 * and `--via`, a resident capture's client started once per session, only the client's.
 * later() names its module twice (the type, the URL) and nothing else checks they agree: the
 * last test reads every module that calls it.
 */
import assert from "node:assert/strict";
import { CAPTURE_MAIN } from "./command_line.ts";
import { filePath } from "../kit/file_path.ts";

interface Dep {
  code?: { specifier?: string };
  type?: { specifier?: string };
}

interface Graph {
  /** each module's code dependencies (what Deno reads to run it) */
  code: Map<string, string[]>;
  /** main.ts's type-only dependencies: the modules it imports later, by mode */
  later: string[];
  main: string;
}

async function graph(): Promise<Graph> {
  const out = await new Deno.Command(Deno.execPath(), {
    args: ["info", "--json", CAPTURE_MAIN],
    stdout: "piped",
    stderr: "piped",
  }).output();
  assert.ok(out.success, new TextDecoder().decode(out.stderr));
  const g = JSON.parse(new TextDecoder().decode(out.stdout)) as {
    roots: string[];
    modules: { specifier: string; dependencies?: Dep[] }[];
  };
  const code = new Map(
    g.modules.map((m) => [
      m.specifier,
      (m.dependencies ?? []).flatMap((d) => d.code?.specifier ? [d.code.specifier] : []),
    ]),
  );
  const main = g.roots[0];
  const deps = g.modules.find((m) => m.specifier === main)?.dependencies ?? [];
  const later = deps.flatMap((d) =>
    !d.code?.specifier && d.type?.specifier ? [d.type.specifier] : []
  );
  return { code, later, main };
}

/** Every module Deno reads to run `roots`: their code imports, followed. */
function reached(code: Map<string, string[]>, roots: string[]): string[] {
  const seen = new Set<string>();
  const todo = [...roots];
  for (let s = todo.pop(); s !== undefined; s = todo.pop()) {
    if (seen.has(s)) continue;
    seen.add(s);
    todo.push(...code.get(s) ?? []);
  }
  return [...seen];
}

const named = (modules: string[], ...names: string[]) =>
  modules.filter((s) => names.some((n) => s.endsWith(`/capture/${n}`)));

Deno.test("the capture's start-up module graph has no npm package and no node: module", async () => {
  const { code, later, main } = await graph();
  const start = reached(code, [main]);
  assert.deepEqual(start.filter((s) => !s.startsWith("file:")), []);
  // a capture of its own reads the capture's modules once main.ts runs: the same rule
  const own = named(later, "launch.ts", "recorder.ts", "h2_glue.ts", "locator_glue.ts");
  assert.equal(own.length, 4, `main.ts imports the capture's modules later: ${later}`);
  const capture = reached(code, [main, ...own]);
  assert.ok(capture.some((s) => s.endsWith("/capture/recorder.ts")), "the graph was read");
  // node:zlib neither: the redactor decodes an encoded request on a connection not yet known to
  // be MCP's to judge it, but loads node:zlib only then (protocols/content_decode_sync.ts)
  assert.deepEqual(capture.filter((s) => !s.startsWith("file:")), []);
});

Deno.test("capture --via reads the client's modules alone: none of the capture's", async () => {
  const { code, later, main } = await graph();
  // what every start reads: none of the modes' modules
  const start = reached(code, [main]);
  assert.deepEqual(start.filter((s) => later.includes(s)), []);
  const client = named(later, "resident_client.ts");
  assert.equal(client.length, 1, `main.ts imports the client later: ${later}`);
  const via = reached(code, [main, ...client]);
  assert.deepEqual(via.filter((s) => !s.startsWith("file:")), []);
  // the capture's own modules (the loader's client, the record decoders, the recorder, the
  // resident capture) are the server's: a session's client never reads them
  assert.deepEqual(
    named(via, "launch.ts", "loader.ts", "events.ts", "recorder.ts", "resident_server.ts"),
    [],
  );
  // a capture of its own does read them (the check above can fail)
  const own = named(later, "launch.ts", "recorder.ts");
  assert.equal(named(reached(code, [main, ...own]), "loader.ts", "events.ts").length, 2);
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
  for (const f of ["capture/main.ts", "capture/locate/mod.ts"]) assert.ok(callers.includes(f), f);
});
