/**
 * Benchmark (not a test) of where a whole `deno task analyze` run goes, call by call: analyses a
 * recording as the analysis benchmark's child does (`analyzeRecording`, DuckDB's default memory
 * limit unless `--memory-limit`) with every DuckDB call of node-api timed — a connection's
 * `run`, `runAndReadAll`, `stream`, and the appender's `appendDataChunk`, `flushSync` and
 * `closeSync` — wall time and the CPU seconds of this process (user + system, all threads) over
 * each, summed per phase (load, parse, build, findings, summary) and per statement, named by its
 * `.sql` file when it is one. Prints each phase's wall and CPU time and its calls ranked by wall
 * time (the rest of a phase is JS: the parse, V8's collections), or JSON with `--json`. Wall time
 * far above CPU in a call is waiting (the disk, the scheduler). `runAndReadAll` counts once as
 * itself and once as the `run` it calls.
 *
 *   deno run -A --v8-flags=--max-old-space-size=8192 bench/analysis_calls.ts RECORDING_DIR
 *     [--json] [--top N] [--memory-limit 1GB]
 *
 * e.g. RECORDING_DIR = .cache/bench-analysis/rec-1000000-10000-v2 after `deno task
 * bench:analysis`. Writes the recording's `analysis.duckdb` as `analyze` does.
 */
import { DuckDBAppender, DuckDBConnection } from "../kit/duckdb.ts";
import { analyzeRecording } from "../analysis/analyze.ts";
import { memoryLimitOption } from "../analysis/duckdb_open.ts";
import { loadPrices } from "../analysis/pricing.ts";
import { intOption, parseCommand, runCommand, usageError } from "../kit/cli.ts";
import { readSql, sqlFilesIn } from "../kit/sql_runner.ts";

const DIRS = [
  "analysis/sql/",
  "analysis/correlate/sql/",
  "analysis/detect/sql/",
  "analysis/mcp/sql/",
].map((d) => new URL(`../${d}`, import.meta.url));

/** The phase that follows each phase `analyzeRecording` reports as ended. */
const NEXT: Record<string, string> = {
  read: "load",
  load: "parse",
  parse: "build",
  build: "findings",
  findings: "summary",
};

function cpuSeconds(): number {
  const f = Deno.readTextFileSync("/proc/self/stat").split(") ")[1].split(" ");
  return (Number(f[11]) + Number(f[12])) / 100; // utime, stime in clock ticks (100 Hz)
}

interface Calls {
  n: number;
  wall: number;
  cpu: number;
}

type Method = (...a: unknown[]) => unknown;

/** Wraps `proto[name]` to add each call's wall and CPU time to `add(label(args), ...)`. */
function wrap(
  proto: Record<string, Method>,
  name: string,
  label: (a: unknown[]) => string,
  add: (key: string, wall: number, cpu: number) => void,
): void {
  const orig = proto[name];
  proto[name] = function (this: unknown, ...a: unknown[]) {
    const c0 = cpuSeconds();
    const t0 = performance.now();
    const done = () => add(label(a), (performance.now() - t0) / 1000, cpuSeconds() - c0);
    const r = orig.apply(this, a);
    if (r instanceof Promise) return r.finally(done);
    done();
    return r;
  };
}

async function main(args: string[]) {
  const { values, positionals } = parseCommand(args, {
    json: { type: "boolean" },
    top: { type: "string", default: "15" },
    "memory-limit": { type: "string", default: "" },
  });
  if (positionals.length !== 1) throw usageError("one recording directory");
  const top = intOption("top", values.top, 1)!;
  const memoryLimit = memoryLimitOption(values["memory-limit"] || undefined);
  const names = new Map<string, string>();
  for (const dir of DIRS) {
    for (const name of sqlFilesIn(dir)) names.set(readSql(dir, name).trim(), `${name}.sql`);
  }
  const nameOf = (sql: unknown) => {
    const text = String(sql).trim();
    return names.get(text) ?? text.replace(/\s+/g, " ").slice(0, 60);
  };
  let phase = "load";
  const calls = new Map<string, Map<string, Calls>>();
  const add = (key: string, wall: number, cpu: number) => {
    const byKey = calls.get(phase) ?? new Map<string, Calls>();
    calls.set(phase, byKey);
    const c = byKey.get(key) ?? { n: 0, wall: 0, cpu: 0 };
    c.n++;
    c.wall += wall;
    c.cpu += cpu;
    byKey.set(key, c);
  };
  const connection = DuckDBConnection.prototype as unknown as Record<string, Method>;
  for (const m of ["run", "runAndReadAll", "stream"]) wrap(connection, m, (a) => nameOf(a[0]), add);
  const appender = DuckDBAppender.prototype as unknown as Record<string, Method>;
  for (const m of ["appendDataChunk", "flushSync", "closeSync"]) {
    wrap(appender, m, () => `appender.${m}`, add);
  }
  const phases: Record<string, { wall: number; cpu: number }> = {};
  let t = performance.now();
  let c = cpuSeconds();
  const t0 = t;
  const c0 = c;
  await analyzeRecording(positionals[0], loadPrices(), {
    quiet: true,
    memoryLimit,
    onPhase: (ended) => {
      const now = performance.now();
      const cpu = cpuSeconds();
      if (ended !== "read") phases[ended] = { wall: (now - t) / 1000, cpu: cpu - c };
      t = now;
      c = cpu;
      phase = NEXT[ended] ?? ended;
    },
  });
  const total = { wall: (performance.now() - t0) / 1000, cpu: cpuSeconds() - c0 };
  const out = {
    total,
    phases: Object.entries(phases).map(([name, p]) => ({
      name,
      ...p,
      calls: [...(calls.get(name) ?? new Map<string, Calls>())]
        .map(([call, x]) => ({ call, ...x }))
        .sort((a, b) => b.wall - a.wall),
    })),
  };
  if (values.json) return console.log(JSON.stringify(out));
  const s = (x: number) => x.toFixed(2).padStart(6);
  console.log(`whole analysis ${s(total.wall)} s wall ${s(total.cpu)} s CPU`);
  for (const p of out.phases) {
    console.log(`\n${p.name.padEnd(9)} ${s(p.wall)} s wall ${s(p.cpu)} s CPU`);
    for (const x of p.calls.slice(0, top)) {
      console.log(`  ${s(x.wall)} ${s(x.cpu)}  ${String(x.n).padStart(5)}×  ${x.call}`);
    }
  }
}

if (import.meta.main) {
  await runCommand(
    "analysis_calls",
    "usage: deno run -A bench/analysis_calls.ts RECORDING_DIR [--json] [--top N] " +
      "[--memory-limit 1GB]",
    main,
  );
}
