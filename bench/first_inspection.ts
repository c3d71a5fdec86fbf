/**
 * What a program's first capture costs in file inspection, without root: the files a real
 * program maps (its own /proc/self/maps, printed by the program itself) go through what the
 * capture's gate does for each (capture/attach.ts): the inspection (tls_targets.ts) and, for an
 * executable or a library that connects by itself, the static-binary locator, with empty caches
 * (a fresh temporary directory per run). The traced program waits for the sum at the gate.
 * Each run is a fresh Deno process (cold JIT, as a capture's first inspection is); runs of this
 * tree and of --baseline (another checkout's root, e.g. `git archive main | tar -x -C DIR`)
 * alternate. Prints, per program, the median total and its range, and the files over 20 ms.
 * Every file's answer (its status and hooks, function and offset) is compared across the runs
 * and the trees: a file answered differently is a DIFF line, and the run exits 1 (a faster
 * tree that lost a hook is no win).
 *
 *   deno run -A bench/first_inspection.ts [--runs R] [--baseline DIR] [--program NAME]...
 *
 * Programs: python-ssl (`python3 -c 'import ssl'`), python-duckdb (python3 loading the
 * project's libduckdb.so with ctypes), node-duckdb (node requiring @duckdb's duckdb.node).
 */
import { filePath } from "../kit/file_path.ts";
import { CliError, intOption, parseCommand, runCommand, userPath } from "../kit/cli.ts";

const ROOT = filePath("../", import.meta.url);

const PY_MAPS = "import sys; print(open('/proc/self/maps').read())";
const NODE_MAPS = "console.log(require('fs').readFileSync('/proc/self/maps', 'utf8'))";

/** The project's DuckDB bindings (node_modules, as deno installs them), or undefined. */
function duckdbFile(name: string): string | undefined {
  const base = `${ROOT}node_modules/.deno`;
  try {
    for (const d of Deno.readDirSync(base)) {
      if (!d.name.startsWith("@duckdb+node-bindings-linux-x64@")) continue;
      const p = `${base}/${d.name}/node_modules/@duckdb/node-bindings-linux-x64/${name}`;
      if (Deno.statSync(p).isFile) return p;
    }
  } catch { /* not installed */ }
  return undefined;
}

const PROGRAMS: Record<string, () => string[] | undefined> = {
  "python-ssl": () => ["python3", "-c", `import ssl; ${PY_MAPS}`],
  "python-duckdb": () => {
    const lib = duckdbFile("libduckdb.so");
    return lib === undefined
      ? undefined
      : ["python3", "-c", `import ctypes; ctypes.CDLL(${JSON.stringify(lib)}); ${PY_MAPS}`];
  },
  "node-duckdb": () => {
    const addon = duckdbFile("duckdb.node");
    return addon === undefined
      ? undefined
      : ["node", "-e", `require(${JSON.stringify(addon)}); ${NODE_MAPS}`];
  },
};

/** The files `argv` maps as code or data, in the order of their first mapping, executable
 * first (the gate sees the exec, then each mmap). */
async function mappedFiles(argv: string[]): Promise<string[]> {
  const out = await new Deno.Command(argv[0], { args: argv.slice(1), stdout: "piped" }).output();
  if (!out.success) throw new CliError(`${argv.join(" ")} failed (exit ${out.code})`);
  const files: string[] = [];
  for (const line of new TextDecoder().decode(out.stdout).split("\n")) {
    const m = line.match(/^\S+ \S+ \S+ \S+ [1-9]\d* +(\/.*)$/);
    if (m && !files.includes(m[1]) && !m[1].startsWith("/dev/")) files.push(m[1]);
  }
  return files;
}

interface ChildResult {
  totalMs: number;
  files: { path: string; ms: number; status: string; answer: string }[];
}

/** What the gate concluded for a file: its status and every hook's function and offset. */
function answerOf(insp: { status: string; hooks?: { fn: string; offset: number }[] }): string {
  return JSON.stringify([insp.status, (insp.hooks ?? []).map((h) => [h.fn, h.offset])]);
}

/**
 * A line per file whose answers (by file, by tree label, every run's) are not all the same: a
 * tree that answered differently from another, or from itself in another run.
 */
export function answerDiffs(answers: Map<string, Map<string, string[]>>): string[] {
  const lines: string[] = [];
  for (const [path, byTree] of answers) {
    const all = new Set([...byTree.values()].flat());
    if (all.size <= 1) continue;
    const cells = [...byTree].map(([label, xs]) => `${label} ${[...new Set(xs)].join(" | ")}`);
    lines.push(`DIFF ${path}: ${cells.join("; ")}`);
  }
  return lines;
}

/** In a fresh process: each file as the gate inspects it, with empty caches under `tmp`. */
async function child(tree: string, files: string[], tmp: string): Promise<ChildResult> {
  const t = await import(`${tree}/capture/inspect_cache.ts`);
  const g = await import(`${tree}/capture/locator_glue.ts`);
  const out: ChildResult["files"] = [];
  const t0 = performance.now();
  for (const path of files) {
    const s = performance.now();
    let insp = t.cachedInspection(path, `${tmp}/inspect`) ??
      t.inspectFileCached(path, `${tmp}/inspect`, () => {});
    if (insp.status === "unlocated") {
      insp = await g.locateForCapture(path, insp, `${tmp}/locate`, () => {});
    }
    out.push({ path, ms: performance.now() - s, status: insp.status, answer: answerOf(insp) });
  }
  return { totalMs: performance.now() - t0, files: out };
}

async function runChild(tree: string, files: string[]): Promise<ChildResult> {
  const tmp = await Deno.makeTempDir({ prefix: "sl-first-inspection-" });
  try {
    const r = await new Deno.Command(Deno.execPath(), {
      args: [
        "run",
        "-A",
        "--quiet",
        `--config=${tree}/deno.json`,
        import.meta.url,
        "--child",
        tree,
        tmp,
        ...files,
      ],
      stdout: "piped",
      stderr: "inherit",
    }).output();
    if (!r.success) throw new CliError(`the run in ${tree} failed (exit ${r.code})`);
    return JSON.parse(new TextDecoder().decode(r.stdout));
  } finally {
    await Deno.remove(tmp, { recursive: true });
  }
}

const median = (xs: number[]) => {
  const s = [...xs].sort((a, b) => a - b);
  return s.length % 2 ? s[(s.length - 1) / 2] : (s[s.length / 2 - 1] + s[s.length / 2]) / 2;
};
const fmt = (xs: number[]) =>
  `${median(xs).toFixed(0)} (${Math.min(...xs).toFixed(0)}–${Math.max(...xs).toFixed(0)})`;

const USAGE =
  "usage: deno run -A bench/first_inspection.ts [--runs R] [--baseline DIR] [--program NAME]...";

async function main(args: string[]) {
  if (args[0] === "--child") {
    const [tree, tmp, ...files] = args.slice(1);
    console.log(JSON.stringify(await child(tree, files, tmp)));
    return;
  }
  const { values } = parseCommand(args, {
    runs: { type: "string", default: "5" },
    baseline: { type: "string" },
    program: { type: "string", multiple: true },
  }, { positionals: false });
  const runs = intOption("runs", values.runs, 1)!;
  const baseline = values.baseline && userPath(values.baseline).replace(/\/+$/, "");
  const names = values.program ?? [];
  if (baseline) {
    try {
      Deno.statSync(`${baseline}/capture/inspect_cache.ts`);
    } catch {
      throw new CliError(`--baseline ${baseline}: not a checkout (no capture/inspect_cache.ts)`);
    }
  }
  for (const n of names) {
    if (!PROGRAMS[n]) {
      throw new CliError(`--program ${n}: unknown (one of ${Object.keys(PROGRAMS).join(", ")})`);
    }
  }
  const trees: [string, string][] = [["this tree", ROOT.replace(/\/$/, "")]];
  if (baseline) trees.unshift(["baseline", baseline]);
  let differing = 0;
  for (const name of names.length ? names : Object.keys(PROGRAMS)) {
    const argv = PROGRAMS[name]();
    if (!argv) {
      console.log(`${name}: skipped (the project's @duckdb bindings are not installed)`);
      continue;
    }
    const files = await mappedFiles(argv);
    const totals = new Map(trees.map(([label]) => [label, [] as number[]]));
    const perFile = new Map<string, Map<string, number[]>>();
    const statuses = new Map<string, string>();
    const answers = new Map<string, Map<string, string[]>>();
    for (let r = 0; r < runs; r++) {
      // alternate which tree goes first
      for (const [label, tree] of r % 2 ? [...trees].reverse() : trees) {
        const res = await runChild(tree, files);
        totals.get(label)!.push(res.totalMs);
        for (const f of res.files) {
          const m = perFile.get(f.path) ?? new Map();
          perFile.set(f.path, m);
          m.set(label, [...(m.get(label) ?? []), f.ms]);
          statuses.set(`${label}\0${f.path}`, f.status);
          const a = answers.get(f.path) ?? new Map<string, string[]>();
          answers.set(f.path, a);
          a.set(label, [...(a.get(label) ?? []), f.answer]);
        }
      }
    }
    console.log(`${name}: ${files.length} files, ${runs} runs each, ms median (min–max)`);
    for (const [label] of trees) console.log(`  total, ${label}: ${fmt(totals.get(label)!)}`);
    for (const [path, m] of perFile) {
      if (![...m.values()].some((xs) => median(xs) >= 20)) continue;
      const cells = trees.map(([label]) =>
        `${label} ${fmt(m.get(label)!)} ${statuses.get(`${label}\0${path}`)}`
      );
      console.log(`  ${path}: ${cells.join("; ")}`);
    }
    const diffs = answerDiffs(answers);
    for (const line of diffs) console.log(`  ${line}`);
    differing += diffs.length;
  }
  if (differing) {
    throw new CliError(
      `${differing} files answered differently (status or hooks): DIFF lines above`,
    );
  }
}

if (import.meta.main) await runCommand("first_inspection", USAGE, main);
