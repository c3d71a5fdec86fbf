/**
 * Benchmark (not a test) of the SQL that `deno task analyze` runs after the HTTP tables are
 * built: on a copy of an analysed database (the source is never written), re-runs the "build"
 * phase (`analysis/sql/` BUILD_SQL) and the "findings" phase (correlation, MCP, detectors, the
 * NOT NULL constraints, the findings summary) exactly as analyze.ts calls them, and times every
 * DuckDB statement: wall ms and CPU seconds of this process (user + system, all threads), named
 * by its `.sql` file when it is one. Prints them ranked by CPU, or as JSON with `--json`.
 *
 *   deno run -A bench/sql_steps.ts DB [--runs N] [--json] [--threads N] [--memory-limit 1GB]
 *     [--explain DIR] [--keep DB]
 *
 * e.g. DB = .cache/bench-analysis/rec-1000000-10000-v2/analysis.duckdb after `deno task
 * bench:analysis`. Each run starts again from a fresh copy. `--explain DIR` writes each query
 * step's plan with its operators' times (EXPLAIN ANALYZE, which runs it) to DIR/NAME.sql.json;
 * `--keep DB` keeps the (last) copy there, to compare its tables.
 */
import { DuckDBConnection } from "../kit/duckdb.ts";
import { withDb } from "../analysis/analysed_db.ts";
import { intOption, parseCommand, runCommand, usageError } from "../kit/cli.ts";
import { Build } from "../analysis/build_steps.ts";
import { RULES_SQL, sqlText } from "../analysis/sql_files.ts";
import { runBuildSql } from "../analysis/build_sql.ts";
import { queryRows, readSql, sqlFilesIn } from "../kit/sql_runner.ts";
import { buildLinksAndFindings, formatFindings } from "../analysis/detect/mod.ts";

const DIRS = [
  "analysis/sql/",
  "analysis/correlate/sql/",
  "analysis/detect/sql/",
  "analysis/mcp/sql/",
]
  .map((d) => new URL(`../${d}`, import.meta.url));

/** Each .sql file's text → its name, to name the statements run. */
function sqlNames(): Map<string, string> {
  const m = new Map<string, string>();
  for (const dir of DIRS) {
    for (const name of sqlFilesIn(dir)) m.set(readSql(dir, name), `${name}.sql`);
  }
  return m;
}

function cpuSeconds(): number {
  const f = Deno.readTextFileSync("/proc/self/stat").split(") ")[1].split(" ");
  return (Number(f[11]) + Number(f[12])) / 100;
}

interface Step {
  name: string;
  ms: number;
  cpu: number;
}

/** Times every run/runAndReadAll of every connection while `fn` runs. */
async function timed(fn: () => Promise<void>, explainDir = ""): Promise<Step[]> {
  const names = sqlNames();
  const steps: Step[] = [];
  const proto = DuckDBConnection.prototype as unknown as Record<
    string,
    (...a: unknown[]) => Promise<unknown>
  >;
  const saved: Record<string, (...a: unknown[]) => Promise<unknown>> = {};
  for (const m of ["runAndReadAll", "run"]) {
    const orig = saved[m] = proto[m];
    proto[m] = async function (this: unknown, ...a: unknown[]) {
      const sql = String(a[0]);
      const name = names.get(sql) ?? sql.replace(/\s+/g, " ").trim().slice(0, 60);
      const c0 = cpuSeconds();
      const t0 = performance.now();
      try {
        if (explainDir && names.has(sql) && /^\s*INSERT\b/i.test(sql.replace(/--.*$/gm, ""))) {
          // an INSERT's plan with each operator's time (the statement runs as usual)
          const r = await saved.runAndReadAll.apply(this, [
            `EXPLAIN (ANALYZE, FORMAT json) ${sql}`,
            ...a.slice(1),
          ]);
          const plan = String((r as { getRows(): unknown[][] }).getRows()[0]?.[1] ?? "");
          Deno.writeTextFileSync(`${explainDir}/${name}.json`, plan);
          return m === "run" ? undefined : r;
        }
        return await orig.apply(this, a);
      } finally {
        steps.push({ name, ms: performance.now() - t0, cpu: cpuSeconds() - c0 });
      }
    };
  }
  try {
    await fn();
  } finally {
    for (const m of Object.keys(saved)) proto[m] = saved[m];
  }
  return steps;
}

async function once(
  db: string,
  threads: number | undefined,
  memoryLimit: string,
  explainDir: string,
  keep: string,
) {
  const dir = await Deno.makeTempDir({ prefix: "sql_steps-" });
  try {
    const copy = `${dir}/analysis.duckdb`;
    await Deno.copyFile(db, copy);
    // opened through the analysed-database layer as the analysis opens its build
    // (analysis/duckdb_open.ts: the memory limit, a private spill directory beside the copy),
    // closed before the copy is kept
    const result = await withDb(copy, async (c) => {
      const recording = String((await queryRows(c, sqlText("recording_name")))[0].recording);
      await c.run(readSql(new URL("./sql/", import.meta.url), "sql_steps_reset"));
      const c0 = cpuSeconds();
      const t0 = performance.now();
      let build = { ms: 0, cpu: 0 };
      const steps = await timed(async () => {
        const b = new Build(c, recording);
        for (const name of RULES_SQL) await b.run(`${name}.sql`, sqlText(name));
        await runBuildSql(b);
        build = { ms: performance.now() - t0, cpu: cpuSeconds() - c0 };
        await buildLinksAndFindings(c, {}, b);
        await b.finish();
        await formatFindings(c, recording);
        if (b.problems.length) {
          console.error(b.problems.map((p) => `${p.source}: ${p.message}`).join("\n"));
        }
      }, explainDir);
      const total = { ms: performance.now() - t0, cpu: cpuSeconds() - c0 };
      return { steps, build, total };
    }, { threads, memoryLimit: memoryLimit || undefined });
    if (keep) await Deno.rename(copy, keep);
    return result;
  } finally {
    await Deno.remove(dir, { recursive: true });
  }
}

const USAGE = "usage: deno run -A bench/sql_steps.ts DB [--runs N] [--json] [--threads N] " +
  "[--memory-limit 1GB] [--explain DIR] [--keep DB]";

async function main(args: string[]) {
  const { values, positionals } = parseCommand(args, {
    runs: { type: "string", default: "1" },
    json: { type: "boolean" },
    threads: { type: "string", default: "" },
    "memory-limit": { type: "string", default: "1GB" },
    explain: { type: "string", default: "" },
    keep: { type: "string", default: "" },
  });
  if (positionals.length !== 1) throw usageError("give one analysed database");
  const runs = intOption("runs", values.runs, 1)!;
  const threads = values.threads ? intOption("threads", values.threads, 1) : undefined;
  for (let r = 0; r < runs; r++) {
    const res = await once(
      positionals[0],
      threads,
      values["memory-limit"],
      values.explain,
      values.keep,
    );
    if (values.json) {
      console.log(JSON.stringify(res));
      continue;
    }
    // the same statement run more than once (ALTER TABLE ..., a query per recording) adds up
    const by = new Map<string, Step & { n: number }>();
    for (const s of res.steps) {
      const a = by.get(s.name) ?? { name: s.name, ms: 0, cpu: 0, n: 0 };
      a.ms += s.ms;
      a.cpu += s.cpu;
      a.n++;
      by.set(s.name, a);
    }
    console.log(
      `run ${r + 1}: build ${(res.build.ms / 1000).toFixed(2)} s wall, ` +
        `${res.build.cpu.toFixed(2)} s CPU; build + findings ${
          (res.total.ms / 1000).toFixed(2)
        } s ` +
        `wall, ${res.total.cpu.toFixed(2)} s CPU`,
    );
    for (const s of [...by.values()].sort((a, b) => b.cpu - a.cpu || b.ms - a.ms)) {
      if (s.ms < 5) continue;
      console.log(
        `  ${s.cpu.toFixed(2).padStart(6)} s CPU ${(s.ms / 1000).toFixed(3).padStart(7)} s  ` +
          `${s.n > 1 ? `${s.n}× ` : ""}${s.name}`,
      );
    }
  }
}

if (import.meta.main) await runCommand("bench:sql_steps", USAGE, main);
