/**
 * The overhead table rebuilt from the benchmark's output (`reports/bench/overhead.json`, made
 * by `deno task bench`), in the shape of the AgentSight paper's Table 1: per agent and task,
 * the median agent time without and with capture and the overhead with its 95% interval. The
 * medians are computed again from the individual runs and checked against the cells, the
 * paper's numbers are set beside ours, and a chart shows the overheads with their intervals.
 */
import { readFileSync } from "node:fs";
import { VEGA_LITE_SCHEMA, type VegaLiteSpec } from "./vega.ts";
import { median } from "../kit/stats.ts";

/** The default input: the overhead benchmark's JSON. */
export const OVERHEAD_JSON = new URL("./bench/overhead.json", import.meta.url);

/** The AgentSight paper's Table 1 (Claude Code 1.0.62, 3 runs each). */
export const PAPER_TABLE1 = [
  { task: "Understand repo", workload: "understand", baselineS: 127.98, withS: 132.33, pct: 3.4 },
  { task: "Code writing", workload: "write", baselineS: 22.54, withS: 23.64, pct: 4.9 },
  { task: "Repo compilation", workload: "compile", baselineS: 92.4, withS: 92.72, pct: 0.4 },
] as const;

interface Ci {
  ratio: number;
  lo: number;
  hi: number;
}
interface Cell {
  agent: string;
  workload: string;
  title: string;
  runs: number;
  failed: number;
  baselineMs: { median: number };
  captureMs: { median: number };
  overhead: Ci;
  endToEnd: Ci;
}
interface Run {
  agent: string;
  workload: string;
  mode: "baseline" | "capture";
  ok: boolean;
  agentMs: number;
}
export interface OverheadJson {
  meta: { date: string; host: string; runs: number; size: { name: string } };
  cells: Cell[];
  runs: Run[];
}

export interface OverheadRow {
  agent: string;
  workload: string;
  task: string;
  runs: number;
  failed: number;
  baselineS: number;
  captureS: number;
  /** (median with / median without - 1) in percent, and its 95% interval */
  pct: number;
  loPct: number;
  hiPct: number;
  endToEndPct: number;
  /** the medians computed again from the runs equal the cell's */
  consistent: boolean;
}

/** Reads and checks the benchmark JSON; throws one line saying what is wrong. */
export function loadOverhead(path: string | URL = OVERHEAD_JSON): OverheadJson {
  let v: OverheadJson;
  try {
    v = JSON.parse(readFileSync(path, "utf8"));
  } catch (e) {
    throw new Error(`${path}: cannot read the benchmark output (${(e as Error).message})`);
  }
  if (!v || !Array.isArray(v.cells) || !Array.isArray(v.runs) || !v.meta) {
    throw new Error(`${path}: not the overhead benchmark's output (no meta, cells and runs)`);
  }
  return v;
}

export { median };

const close = (a: number, b: number) => Math.abs(a - b) <= 1e-9 * Math.max(1, Math.abs(b));

/** One row per cell, with the medians checked against the runs. */
export function overheadRows(r: OverheadJson): OverheadRow[] {
  return r.cells.map((c) => {
    const runs = r.runs.filter((x) => x.agent === c.agent && x.workload === c.workload && x.ok);
    const base = median(runs.filter((x) => x.mode === "baseline").map((x) => x.agentMs));
    const cap = median(runs.filter((x) => x.mode === "capture").map((x) => x.agentMs));
    return {
      agent: c.agent,
      workload: c.workload,
      task: c.title,
      runs: c.runs,
      failed: c.failed,
      baselineS: c.baselineMs.median / 1000,
      captureS: c.captureMs.median / 1000,
      pct: (c.overhead.ratio - 1) * 100,
      loPct: (c.overhead.lo - 1) * 100,
      hiPct: (c.overhead.hi - 1) * 100,
      endToEndPct: (c.endToEnd.ratio - 1) * 100,
      consistent: close(base, c.baselineMs.median) && close(cap, c.captureMs.median) &&
        close(cap / base, c.overhead.ratio),
    };
  });
}

/** A percentage with its sign, one decimal: `+3.4%`, `-2.1%`. */
export const signedPct = (p: number): string => `${p >= 0 ? "+" : ""}${p.toFixed(1)}%`;

/** The table in Markdown, the paper's Table 1 columns plus runs and the interval. */
export function overheadMarkdown(rows: OverheadRow[]): string {
  const lines = [
    "| agent | task | runs | baseline (s) | with Sightline (s) | overhead | 95% CI |",
    "| --- | --- | --: | --: | --: | --: | --: |",
    ...rows.map((r) =>
      `| ${r.agent} | ${r.task} | ${r.runs}${r.failed ? ` (${r.failed} failed)` : ""} | ` +
      `${r.baselineS.toFixed(2)} | ${r.captureS.toFixed(2)} | ${signedPct(r.pct)} | ` +
      `[${signedPct(r.loPct)}, ${signedPct(r.hiPct)}] |`
    ),
  ];
  return lines.join("\n");
}

/** Mean overhead per agent and over all cells, in percent. */
export function meanOverheads(rows: OverheadRow[]): { agent: string; pct: number }[] {
  const agents = [...new Set(rows.map((r) => r.agent))];
  const mean = (xs: OverheadRow[]) => xs.reduce((a, r) => a + r.pct, 0) / xs.length;
  return [
    ...agents.map((agent) => ({ agent, pct: mean(rows.filter((r) => r.agent === agent)) })),
    { agent: "all", pct: mean(rows) },
  ];
}

/** Ours beside the paper's, per task (the paper measured Claude Code only). */
export function paperComparison(rows: OverheadRow[]): string {
  const lines = [
    "| task | paper: Claude Code | ours: claude | ours: mean of the agents |",
    "| --- | --: | --: | --: |",
  ];
  for (const p of PAPER_TABLE1) {
    const ours = rows.filter((r) => r.workload === p.workload);
    const claude = ours.find((r) => r.agent === "claude");
    const mean = ours.length ? ours.reduce((a, r) => a + r.pct, 0) / ours.length : NaN;
    lines.push(
      `| ${p.task} | ${signedPct(p.pct)} | ${claude ? signedPct(claude.pct) : "–"} | ${
        ours.length ? signedPct(mean) : "–"
      } |`,
    );
  }
  return lines.join("\n");
}

/** Overhead per task and agent with its interval; the paper's values as black ticks. */
export function overheadChartSpec(rows: OverheadRow[]): VegaLiteSpec {
  const ours = rows.map((r) => ({ ...r, label: `${r.agent}: ${r.task}` }));
  const paper = PAPER_TABLE1.map((p) => ({ task: p.task, pct: p.pct }));
  return {
    $schema: VEGA_LITE_SCHEMA,
    title: {
      text: "Capture overhead (agent time)",
      subtitle: "95% bootstrap intervals; ticks: the paper",
    },
    width: 520,
    height: 240,
    layer: [
      {
        name: "interval",
        data: { values: ours },
        mark: "rule",
        encoding: {
          y: { field: "task", type: "nominal", title: null },
          yOffset: { field: "agent", type: "nominal" },
          x: { field: "loPct", type: "quantitative", title: "overhead %" },
          x2: { field: "hiPct" },
          color: { field: "agent", type: "nominal" },
        },
      },
      {
        name: "overhead",
        data: { values: ours },
        mark: { type: "point", filled: true, size: 60 },
        encoding: {
          y: { field: "task", type: "nominal" },
          yOffset: { field: "agent", type: "nominal" },
          x: { field: "pct", type: "quantitative" },
          color: { field: "agent", type: "nominal" },
          tooltip: [{ field: "label" }, { field: "pct", type: "quantitative", format: ".1f" }],
        },
      },
      {
        name: "paper",
        data: { values: paper },
        mark: { type: "tick", color: "black", thickness: 2 },
        encoding: {
          y: { field: "task", type: "nominal" },
          x: { field: "pct", type: "quantitative" },
        },
      },
    ],
  } as unknown as VegaLiteSpec;
}
