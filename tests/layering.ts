/**
 * The project's layering, checked on the real module graph (`deno info --json`): which
 * top-level folder may import which, and no import cycles anywhere.
 *
 * Layers, low to high; a module may import modules of its own folder or of a lower layer,
 * never of a higher one nor of another folder on the same layer:
 *   kit (shared kits) < protocols (wire protocols) < recording (the recording format)
 *   < capture | analysis < reports < notebooks < lab (simulator, agents, case studies, eval,
 *   coverage) < bench | datasets.
 * Tests (`*_test.ts`) follow the same rule and may also use the test support in `tests/`.
 * `tests/` itself (support and fixture makers) sits on top. An entry point (`main.ts`,
 * `*_main.ts`) is imported by tests alone: what other modules need of a command lives in a
 * module of its own.
 *
 * `deno run -A tests/layering.ts` prints every violation and cycle (exit 1 if any). The
 * README's layout table is read by `readmeLayout`: its test checks it names every folder.
 */
import { filePath } from "../kit/file_path.ts";
import { relative } from "node:path";

export const LAYERS: Record<string, number> = {
  kit: 0,
  protocols: 1,
  recording: 2,
  capture: 3,
  analysis: 3,
  reports: 4,
  notebooks: 5,
  lab: 6,
  bench: 7,
  datasets: 7,
  tests: 8,
};

export const ROOT = filePath("../", import.meta.url);

export interface Edge {
  from: string;
  to: string;
}

/** Repository-relative paths of every tracked TypeScript module. */
export async function projectModules(root = ROOT): Promise<string[]> {
  const out = await new Deno.Command("git", {
    args: ["ls-files", "*.ts"],
    cwd: root,
    stdout: "piped",
  }).output();
  if (!out.success) throw new Error("git ls-files failed");
  return new TextDecoder().decode(out.stdout).split("\n").filter(Boolean);
}

/** The import edges between project modules, read from `deno info --json`. */
export async function moduleGraph(root = ROOT): Promise<Edge[]> {
  const files = await projectModules(root);
  const dir = await Deno.makeTempDir({ prefix: "sightline-layering-" });
  try {
    const entry = `${dir}/all.ts`;
    await Deno.writeTextFile(entry, files.map((f) => `import "${root}${f}";`).join("\n"));
    const out = await new Deno.Command(Deno.execPath(), {
      args: ["info", "--json", entry],
      cwd: root,
      stdout: "piped",
      stderr: "piped",
    }).output();
    if (!out.success) {
      throw new Error(`deno info failed: ${new TextDecoder().decode(out.stderr).trim()}`);
    }
    const graph = JSON.parse(new TextDecoder().decode(out.stdout)) as {
      modules: {
        local?: string;
        dependencies?: {
          code?: { specifier?: string };
          type?: { specifier?: string };
        }[];
      }[];
    };
    const edges: Edge[] = [];
    for (const m of graph.modules) {
      if (!m.local?.startsWith(root)) continue;
      const from = relative(root, m.local);
      for (const d of m.dependencies ?? []) {
        for (const s of [d.code?.specifier, d.type?.specifier]) {
          if (!s?.startsWith("file://")) continue;
          const to = relative(root, filePath(s));
          if (!to.startsWith("..")) edges.push({ from, to });
        }
      }
    }
    return edges;
  } finally {
    await Deno.remove(dir, { recursive: true });
  }
}

function folderOf(path: string): string {
  return path.split("/")[0];
}

/** Why an import breaks the layering, or undefined when it is allowed. */
export function violation(e: Edge): string | undefined {
  const a = folderOf(e.from), b = folderOf(e.to);
  if (a === b) return undefined;
  const ra = LAYERS[a], rb = LAYERS[b];
  if (ra === undefined) return `${e.from}: folder ${a}/ has no layer`;
  if (rb === undefined) return `${e.from} imports ${e.to}: folder ${b}/ has no layer`;
  const isTest = e.from.endsWith("_test.ts");
  if (isTest && b === "tests" && e.to.startsWith("tests/support/")) return undefined;
  if (rb < ra) return undefined;
  return rb === ra
    ? `${e.from} imports ${e.to}: ${a}/ and ${b}/ are on the same layer and stay independent`
    : `${e.from} imports ${e.to}: ${a}/ is below ${b}/`;
}

/** Why an import of an entry point is not allowed (only tests import one), or undefined. */
export function entryPointImport(e: Edge): string | undefined {
  if (!/(^|\/)(main|\w+_main)\.ts$/.test(e.to) || e.from.endsWith("_test.ts")) return undefined;
  return `${e.from} imports ${e.to}: an entry point, which only tests import`;
}

/** Every cycle's modules (strongly connected components of more than one module). */
export function cycles(edges: Edge[]): string[][] {
  const adj = new Map<string, string[]>();
  for (const e of edges) {
    if (!adj.has(e.from)) adj.set(e.from, []);
    if (!adj.has(e.to)) adj.set(e.to, []);
    adj.get(e.from)!.push(e.to);
  }
  // Tarjan's algorithm, iterative (deep graphs would overflow the stack)
  let index = 0;
  const idx = new Map<string, number>(), low = new Map<string, number>();
  const onStack = new Set<string>(), stack: string[] = [];
  const out: string[][] = [];
  for (const start of adj.keys()) {
    if (idx.has(start)) continue;
    const work: [string, number][] = [[start, 0]];
    while (work.length) {
      const [v, i] = work[work.length - 1];
      if (i === 0) {
        idx.set(v, index);
        low.set(v, index);
        index++;
        stack.push(v);
        onStack.add(v);
      }
      const next = adj.get(v)!;
      if (i < next.length) {
        work[work.length - 1][1] = i + 1;
        const w = next[i];
        if (!idx.has(w)) work.push([w, 0]);
        else if (onStack.has(w)) low.set(v, Math.min(low.get(v)!, idx.get(w)!));
        continue;
      }
      work.pop();
      if (work.length) {
        const u = work[work.length - 1][0];
        low.set(u, Math.min(low.get(u)!, low.get(v)!));
      }
      if (low.get(v) === idx.get(v)) {
        const scc: string[] = [];
        let w: string;
        do {
          w = stack.pop()!;
          onStack.delete(w);
          scc.push(w);
        } while (w !== v);
        if (scc.length > 1) out.push(scc.sort());
      }
    }
  }
  return out;
}

/** A row of the README's layout table: its layer (null: no TypeScript, `—`) and folder. */
export interface LayoutRow {
  layer: number | null;
  folder: string;
  /** the row's text, continuation lines included */
  text: string;
}

/** The rows of the layout table in README.md's `## Layout` section. */
export function readmeLayout(readme: string): LayoutRow[] {
  const at = readme.indexOf("\n## Layout\n");
  if (at < 0) throw new Error("README.md has no ## Layout section");
  const section = readme.slice(at + 1).split(/\n## /)[0];
  const rows: LayoutRow[] = [];
  for (const line of section.split("\n")) {
    const cells = /^\|(.*)\|(.*)\|(.*)\|$/.exec(line)?.slice(1).map((c) => c.trim());
    if (!cells || /^-+$/.test(cells[0]) || cells[0] === "layer") continue;
    if (cells[1] === "") {
      if (rows.length) rows[rows.length - 1].text += ` ${cells[2]}`;
      continue;
    }
    const folder = /^`([^`]+)\/`$/.exec(cells[1])?.[1];
    if (!folder) throw new Error(`README layout: not a folder: ${cells[1]}`);
    rows.push({ layer: cells[0] === "—" ? null : Number(cells[0]), folder, text: cells[2] });
  }
  return rows;
}

/** The folders git tracks a file in, down to `depth` levels (`a`, `a/b`). */
export async function trackedFolders(depth: number, root = ROOT): Promise<Set<string>> {
  const out = await new Deno.Command("git", { args: ["ls-files"], cwd: root, stdout: "piped" })
    .output();
  if (!out.success) throw new Error("git ls-files failed");
  const folders = new Set<string>();
  for (const f of new TextDecoder().decode(out.stdout).split("\n").filter(Boolean)) {
    const parts = f.split("/").slice(0, -1);
    for (let d = 1; d <= Math.min(depth, parts.length); d++) {
      folders.add(parts.slice(0, d).join("/"));
    }
  }
  return folders;
}

if (import.meta.main) {
  const edges = await moduleGraph();
  const bad = edges.flatMap((e) => [violation(e), entryPointImport(e)])
    .filter((v): v is string => v !== undefined);
  for (const v of bad) console.log(v);
  const cyc = cycles(edges);
  for (const c of cyc) console.log(`cycle: ${c.join(" -> ")}`);
  console.log(`${edges.length} imports, ${bad.length} against the layering, ${cyc.length} cycles`);
  Deno.exit(bad.length || cyc.length ? 1 : 0);
}
