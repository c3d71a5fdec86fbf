/**
 * Link evaluation: runs the real agents under capture on a scenario whose every tool call
 * names its own marker (`lab/scenarios/eval_links.json`), builds the links, and measures
 * their precision and recall against the truth the script implies (`eval_truth.sql`), over
 * all events and over key events (execs, connects, DNS questions, files on a marker's path).
 * It also times each tool call's first action after the answer that asked for it: the
 * measurements behind the default temporal window.
 */
import { fileURLToPath } from "node:url";
import type { DuckDBConnection } from "@duckdb/node-api";
import { ddl } from "../../kit/columns.ts";
import { tableSql } from "../../analysis/sql_files.ts";
import { loadScenario, type Scenario } from "../simulator/mod.ts";
import { buildCorrelation } from "../../analysis/correlate/build.ts";
import { type CorrelateSettings, DEFAULT_SETTINGS } from "../../analysis/correlate/settings.ts";
import { queryRows, readSql, runSql } from "../../kit/sql_runner.ts";
import { type RecordRunsOptions, scoreRuns } from "./record_runs.ts";
import { EVAL_TABLES } from "./schema.ts";

export const EVAL_SCENARIO = fileURLToPath(
  new URL("../scenarios/eval_links.json", import.meta.url),
);
const SQL = new URL("./", import.meta.url);

export interface Marker {
  toolIndex: number;
  marker: string;
  action: "run" | "read" | "write";
}

/** The oracle: for each tool turn of the scenario, in order, its marker and action. */
export function scenarioMarkers(sc: Scenario, pattern = /\bm\d+_[a-z]+/): Marker[] {
  const out: Marker[] = [];
  for (const turn of sc.turns) {
    const t = turn.tool;
    if (!t) continue;
    if (turn.repeat) throw new Error(`${sc.name}: evaluation scenarios cannot repeat turns`);
    const [action, text] = "run" in t
      ? ["run", t.run] as const
      : "read" in t
      ? ["read", t.read] as const
      : "write" in t
      ? ["write", t.write] as const
      : ["run", JSON.stringify(t)] as const;
    const m = text.match(pattern);
    if (!m) throw new Error(`${sc.name}: tool turn ${out.length + 1} names no marker`);
    if (out.some((o) => o.marker === m[0])) {
      throw new Error(`${sc.name}: marker ${m[0]} is named by two tool turns`);
    }
    out.push({ toolIndex: out.length + 1, marker: m[0], action });
  }
  return out;
}

export interface Counts {
  truth: number;
  predicted: number;
  tp: number;
}

/** When one tool call's true actions happened, relative to the answer that asked for it. */
export interface ToolTiming {
  tool: string;
  /** first action after the answer ended (negative: before; agents act on streamed calls) */
  firstActionMs: number;
  /** first action after the answer's first output */
  afterOutputMs: number;
  /** first process spawned, after the answer ended (null: the tool ran in-process) */
  spawnMs: number | null;
  /** the agent process's own last action on the tool's target, after the answer ended */
  lastOwnMs: number | null;
  spanMs: number;
}

export interface RecordingScore {
  recording: string;
  agent: string;
  all: Counts;
  key: Counts;
  /** tool calls of the session with ground truth, and how many the scenario has */
  toolCalls: number;
  timing: ToolTiming[];
}

export const precision = (c: Counts): number => c.predicted === 0 ? 1 : c.tp / c.predicted;
export const recall = (c: Counts): number => c.truth === 0 ? 1 : c.tp / c.truth;

const num = (v: unknown) => Number(v ?? 0);

/** Builds links in an analysed database and scores them against the scenario's markers. */
export async function scoreDb(
  c: DuckDBConnection,
  markers: Marker[],
  settings: CorrelateSettings = DEFAULT_SETTINGS,
): Promise<RecordingScore[]> {
  await buildCorrelation(c, settings);
  for (const def of EVAL_TABLES) {
    await c.run(tableSql("table_drop", def.name));
    await c.run(ddl(def));
  }
  const recs = await queryRows(c, readSql(SQL, "eval_recordings"));
  for (const { recording } of recs) {
    for (const m of markers) {
      await runSql(c, readSql(SQL, "eval_marker_add"), {
        recording: String(recording),
        tool_index: m.toolIndex,
        marker: m.marker,
        action: m.action,
      });
    }
  }
  await runSql(c, readSql(SQL, "eval_incarnations"), {}, "eval_incarnations.sql");
  await runSql(c, readSql(SQL, "eval_truth"), {}, "eval_truth.sql");
  const scores = await queryRows(c, readSql(SQL, "eval_scores"));
  const timing = await queryRows(c, readSql(SQL, "eval_timing"));
  return scores.map((r) => {
    const t = timing.filter((x) => x.recording === r.recording);
    return {
      recording: String(r.recording),
      agent: String(r.agent ?? "?"),
      all: { truth: num(r.truth), predicted: num(r.predicted), tp: num(r.tp) },
      key: { truth: num(r.key_truth), predicted: num(r.key_predicted), tp: num(r.key_tp) },
      toolCalls: t.length,
      timing: t.map((x) => ({
        tool: String(x.name),
        firstActionMs: num(x.first_action_ms),
        afterOutputMs: num(x.after_output_ms),
        spawnMs: x.spawn_ms === null ? null : num(x.spawn_ms),
        lastOwnMs: x.last_own_ms === null ? null : num(x.last_own_ms),
        spanMs: num(x.span_ms),
      })),
    };
  });
}

export interface EvalOptions extends RecordRunsOptions {
  scenario?: string;
  settings?: CorrelateSettings;
}

export interface EvalResult {
  scores: RecordingScore[];
  /** tool calls the scenario has */
  expectedToolCalls: number;
  failures: string[];
}

/** Runs (or re-scores) the evaluation. */
export async function runEval(opts: EvalOptions): Promise<EvalResult> {
  const scenario = await loadScenario(opts.scenario ?? EVAL_SCENARIO);
  const markers = scenarioMarkers(scenario);
  const { scores, failures } = await scoreRuns(
    opts,
    scenario,
    "eval",
    (c) => scoreDb(c, markers, opts.settings),
  );
  return { scores, expectedToolCalls: markers.length, failures };
}

const pct = (x: number) => x.toFixed(3);

/** Adds every number of `from` into `into`, field by field at any depth (both of one shape). */
export function addCounts<T extends object>(into: T, from: T): void {
  const to = into as Record<string, unknown>;
  for (const [k, v] of Object.entries(from)) {
    if (typeof v === "number") to[k] = (to[k] as number) + v;
    else if (v !== null && typeof v === "object" && !Array.isArray(v)) {
      addCounts(to[k] as object, v);
    }
  }
}

/** Per agent: summed counts over its runs. */
export function byAgent(
  scores: RecordingScore[],
): Map<string, { all: Counts; key: Counts; runs: number }> {
  const m = new Map<string, { all: Counts; key: Counts; runs: number }>();
  for (const s of scores) {
    const e = m.get(s.agent) ??
      { all: { truth: 0, predicted: 0, tp: 0 }, key: { truth: 0, predicted: 0, tp: 0 }, runs: 0 };
    addCounts(e.all, s.all);
    addCounts(e.key, s.key);
    e.runs++;
    m.set(s.agent, e);
  }
  return m;
}

/** What an agent's links fall short of: precision and recall, over all and key events, below `min`. */
export function linkShortfalls(
  agent: string,
  e: { all: Counts; key: Counts },
  min: number,
): string[] {
  const measures = [
    ["precision", precision(e.all)],
    ["recall", recall(e.all)],
    ["key-event precision", precision(e.key)],
    ["key-event recall", recall(e.key)],
  ] as const;
  return measures.filter(([, v]) => v < min).map(([what, v]) =>
    `${agent}: ${what} ${v.toFixed(3)} is below ${min}`
  );
}

function quantile(xs: number[], q: number): number {
  if (!xs.length) return NaN;
  const s = [...xs].sort((a, b) => a - b);
  return s[Math.min(s.length - 1, Math.floor(q * (s.length - 1) + 0.5))];
}

/** The report: precision and recall per agent, then the timing behind the window. */
export function formatEval(r: EvalResult): string {
  const lines = [
    "agent        runs  events(truth/linked/correct)  precision  recall  key events  key precision  key recall",
  ];
  for (const [agent, e] of byAgent(r.scores)) {
    lines.push(
      `${agent.padEnd(12)} ${String(e.runs).padStart(4)}  ${
        `${e.all.truth}/${e.all.predicted}/${e.all.tp}`.padStart(28)
      }  ${pct(precision(e.all)).padStart(9)}  ${pct(recall(e.all)).padStart(6)}  ${
        `${e.key.truth}/${e.key.predicted}/${e.key.tp}`.padStart(10)
      }  ${pct(precision(e.key)).padStart(13)}  ${pct(recall(e.key)).padStart(10)}`,
    );
  }
  lines.push(
    "",
    "when tool calls acted, in ms after the answer that asked for them ended (min/median/max):",
  );
  const agents = new Set(r.scores.map((s) => s.agent));
  const stat = (xs: number[]) =>
    xs.length
      ? `${Math.min(...xs).toFixed(1)}/${quantile(xs, 0.5).toFixed(1)}/${
        Math.max(...xs).toFixed(1)
      }`
      : "-";
  for (const agent of agents) {
    const t = r.scores.filter((s) => s.agent === agent).flatMap((s) => s.timing);
    lines.push(
      `  ${agent.padEnd(12)} n=${t.length}  first action ${stat(t.map((x) => x.firstActionMs))}` +
        `  first process ${stat(t.flatMap((x) => x.spawnMs === null ? [] : [x.spawnMs]))}` +
        `  last in-process action ${
          stat(t.flatMap((x) => x.lastOwnMs === null ? [] : [x.lastOwnMs]))
        }`,
    );
  }
  for (const s of r.scores) {
    if (s.toolCalls !== r.expectedToolCalls) {
      lines.push(
        `  ${s.recording}: ${s.toolCalls} of ${r.expectedToolCalls} tool calls have ground truth`,
      );
    }
  }
  for (const f of r.failures) lines.push(`  failed run: ${f}`);
  return lines.join("\n") + "\n";
}
