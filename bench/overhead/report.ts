/**
 * Writes the overhead benchmark's results: a Markdown table (also printed) with each cell's
 * paired overhead, its 95% interval and its verdict against the goal, the JSON with every run,
 * and a Vega-Lite chart (overhead per workload, agent and timing, with its interval) rendered
 * to SVG.
 */
import { VEGA_LITE_SCHEMA, type VegaLiteSpec, writeSvg } from "../../reports/vega.ts";
import type { Cell, OverheadResult } from "./run.ts";

const pct = (r: number, digits = 1) =>
  Number.isFinite(r) ? `${r >= 1 ? "+" : ""}${((r - 1) * 100).toFixed(digits)}%` : "–";
const pct2 = (r: number) => pct(r, 2);
const TIMING_LABEL = { realistic: "realistic", zero: "stress (zero latency)" } as const;
const s = (ms: number) => (ms / 1000).toFixed(2);
const mib = (kb: number | null) => kb === null ? "–" : (kb / 1024).toFixed(0);

function rowsText(c: Cell): string {
  return ["process", "file", "net", "tls"].map((t) => `${t[0]}${Math.round(c.rows[t] ?? 0)}`)
    .join(" ");
}

function verdictText(c: Cell): string {
  const goal = `${(c.goal * 100).toFixed(0)}%`;
  if (c.verdict === "meets") return `meets (≤ ${goal})`;
  if (c.verdict === "misses") return `misses (> ${goal})`;
  return `undecided (interval straddles ${goal})`;
}

/** The main table: one line per agent, workload and timing. */
export function overheadTable(r: OverheadResult): string {
  const head = [
    "| agent | task | timing | model time s | pairs | baseline s (min–max) | with capture s (min–max) | overhead [95% CI] | ± | goal | stopped | ratio of medians [95% CI] | end-to-end [95% CI] |",
    "| --- | --- | --- | --: | --: | --: | --: | --: | --: | --- | --- | --: | --: |",
  ];
  const lines = r.cells.map((c) =>
    `| ${c.agent} | ${c.title} | ${TIMING_LABEL[c.timing]} | ${s(c.modelMs)} | ` +
    `${c.runs}${c.failed ? ` (${c.failed} runs failed)` : ""} | ` +
    `${s(c.baselineMs.median)} (${s(c.baselineMs.min)}–${s(c.baselineMs.max)}) | ` +
    `${s(c.captureMs.median)} (${s(c.captureMs.min)}–${s(c.captureMs.max)}) | ` +
    (c.paired.pairs > 1
      ? `${pct2(c.paired.ratio)} [${pct2(c.paired.lo)}, ${pct2(c.paired.hi)}] | `
      : `${pct2(c.paired.ratio)} (no interval from ${c.paired.pairs} pair) | `) +
    `${Number.isFinite(c.halfWidth) ? `±${(c.halfWidth * 100).toFixed(2)}%` : "–"} | ` +
    `${verdictText(c)} | ${c.stop} | ` +
    `${pct(c.overhead.ratio)} [${pct(c.overhead.lo)}, ${pct(c.overhead.hi)}] | ` +
    `${pct(c.endToEnd.ratio)} [${pct(c.endToEnd.lo)}, ${pct(c.endToEnd.hi)}] |`
  );
  return [...head, ...lines].join("\n");
}

/** What the table shows against the goals, in words: only what was measured. */
export function goalSummary(r: OverheadResult): string {
  const target = (r.meta.targetHalfWidth * 100).toFixed(1);
  const out = [
    `Goal: every realistic cell's 95% upper bound at or below ` +
    `${(r.meta.goals.realistic * 100).toFixed(0)}%, every stress cell's at or below ` +
    `${(r.meta.goals.zero * 100).toFixed(0)}%, each interval at most ±${target}%.`,
    "",
  ];
  for (const t of r.meta.timings) {
    const cs = r.cells.filter((c) => c.timing === t);
    if (!cs.length) continue;
    const n = (v: string) => cs.filter((c) => c.verdict === v).length;
    const narrow = cs.filter((c) => c.halfWidth <= r.meta.targetHalfWidth + 1e-12).length;
    out.push(
      `- ${TIMING_LABEL[t]}: ${cs.length} cell${cs.length > 1 ? "s" : ""} measured; ` +
        `${n("meets")} meet the goal, ${n("misses")} miss it, ${n("undecided")} undecided; ` +
        `${narrow} of ${cs.length} reached ±${target}%.`,
    );
  }
  const missing = (["realistic", "zero"] as const).filter((t) => !r.meta.timings.includes(t));
  for (const t of missing) out.push(`- ${TIMING_LABEL[t]}: not measured in this run.`);
  return out.join("\n");
}

/** Where each timing's pauses come from. */
export function timingText(r: OverheadResult): string {
  const sources = [...new Set(r.cells.map((c) => `${TIMING_LABEL[c.timing]}: ${c.timingSource}`))];
  return sources.map((x) => `- ${x}`).join("\n");
}

/** Costs of the capture per cell: CPU, memory, rows, drops. */
export function costTable(r: OverheadResult): string {
  const head = [
    "| agent | task | timing | agent CPU s (base → capture) | capture CPU s (deno / loader) | capture peak RSS MiB (deno / loader) | drain s | rows (p f n t) | TLS MB | LLM requests | drops | missed |",
    "| --- | --- | --- | --: | --: | --: | --: | --: | --: | --: | --: | --: |",
  ];
  const lines = r.cells.map((c) =>
    `| ${c.agent} | ${c.title} | ${c.timing} | ${s(c.agentCpuMs.baseline)} → ${
      s(c.agentCpuMs.capture)
    } | ` +
    `${s(c.captureCpuMs)} (${c.denoCpuMs === null ? "–" : s(c.denoCpuMs)} / ` +
    `${c.loaderCpuMs === null ? "–" : s(c.loaderCpuMs)}) | ` +
    `${mib(c.denoPeakRssKb)} / ${mib(c.loaderPeakRssKb)} | ${s(c.teardownMs)} | ${rowsText(c)} | ` +
    `${(c.tlsBytes / 1e6).toFixed(2)} | ${c.llmRequests} | ${c.drops} | ${c.missedRuns} |`
  );
  return [...head, ...lines].join("\n");
}

/** Said when the agent left processes running whose CPU is in neither the agent's nor the capture's. */
function otherNote(r: OverheadResult): string {
  const cells = r.cells.filter((c) => (c.otherCpuMs ?? 0) >= 5);
  if (!cells.length) return "";
  const list = cells.map((c) => `${c.agent}/${c.title}/${c.timing} ${s(c.otherCpuMs!)} s`);
  return ` Not counted as the capture's: CPU of the agent's processes that were still running ` +
    `when it exited (median per run): ${list.join(", ")}.`;
}

/** Where in the run the time is lost: before the first LLM request, or in every turn. */
export function phaseTable(r: OverheadResult): string {
  const ms = (x: number) => Number.isFinite(x) ? x.toFixed(0) : "–";
  return [
    "| agent | task | timing | exec → first LLM request ms (base → capture) | per model turn ms (base → capture) | turns |",
    "| --- | --- | --- | --: | --: | --: |",
    ...r.cells.map((c) =>
      `| ${c.agent} | ${c.title} | ${c.timing} | ${ms(c.firstRequestMs.baseline)} → ${
        ms(c.firstRequestMs.capture)
      } | ` +
      `${ms(c.perTurnMs.baseline)} → ${ms(c.perTurnMs.capture)} | ${c.llmRequests} |`
    ),
  ].join("\n");
}

function runsText(r: OverheadResult): string {
  const m = r.meta;
  if (!m.adaptive) return `${m.runs} interleaved pairs per cell`;
  return `adaptive: at least ${m.runs} pairs per cell, then more until the interval is at ` +
    `most ±${(m.adaptive.targetHalfWidth * 100).toFixed(1)}%, at most ` +
    `${m.adaptive.maxPairs} pairs or ${(m.adaptive.budgetMs / 60_000).toFixed(0)} min per cell` +
    (m.adaptive.decide ? " (and on past the target until the interval decides the goal)" : "");
}

export function overheadMarkdown(r: OverheadResult, extra = ""): string {
  const m = r.meta;
  const mean = (t: string) => {
    const cs = r.cells.filter((c) => c.timing === t);
    return cs.length ? cs.reduce((a, c) => a + (c.paired.ratio - 1), 0) / cs.length : NaN;
  };
  const means = m.timings.filter((t) => r.cells.some((c) => c.timing === t))
    .map((t) => `${TIMING_LABEL[t]} ${(mean(t) * 100).toFixed(2)}%`).join(", ");
  return [
    `# Capture overhead on real agents (${m.size.name} mode)`,
    "",
    `${m.date} · ${m.host} · Linux ${m.kernel} · ${m.cpus} CPUs · ${m.memGiB} GiB · ` +
    `repository: ${m.size.repo.modules} modules × ${m.size.repo.functionsPerModule} functions · ` +
    `${runsText(r)} · load average ${m.loadavg[0].toFixed(2)} before, ` +
    `${m.loadavg[1].toFixed(2)} after` +
    (m.captureArgs.length ? ` · capture options: ${m.captureArgs.join(" ")}` : ""),
    ...(m.note ? ["", `Note: ${m.note}`] : []),
    ...(m.resumed?.length
      ? [
        "",
        `Interrupted and resumed from its partial results (\`--continue\`) at ${
          m.resumed.join(", ")
        }: finished cells and complete pairs kept, each resumed cell after a new warm-up pair`,
      ]
      : []),
    "",
    goalSummary(r),
    "",
    overheadTable(r),
    "",
    `Overhead: geometric mean of the pairs' ratios (with / without capture) and its 95% ` +
    `Student-t interval; ±: the interval's wider side; stopped: why the cell took no more ` +
    `pairs. Mean over the cells: ${means} (the paper: 0.4–4.9%, mean 2.9%).`,
    "",
    "Model timing:",
    "",
    timingText(r),
    "",
    "## What the capture costs (medians of the runs with capture)",
    "",
    costTable(r),
    "",
    "Rows: p process, f file, n net, t tls. Drain: from the agent's exit until the loader had " +
    "detached its probes and exited (not part of the agent's time). Capture CPU: the capture's " +
    "own processes (Deno, the loader, the gate's watchdog), each as its parent reaped it; " +
    "Deno / loader alone." + otherNote(r),
    "",
    "## Where in the run (medians)",
    "",
    phaseTable(r),
    "",
    "## Method",
    "",
    m.method,
    "",
    extra,
  ].join("\n");
}

export function overheadChart(r: OverheadResult): VegaLiteSpec {
  const values = r.cells.map((c) => ({
    agent: c.agent,
    task: c.title,
    timing: TIMING_LABEL[c.timing],
    overhead: (c.paired.ratio - 1) * 100,
    // an unbounded interval (one pair) is drawn as none
    lo: Number.isFinite(c.paired.lo) && c.runs > 1 ? (c.paired.lo - 1) * 100 : null,
    hi: Number.isFinite(c.paired.hi) && c.runs > 1 ? (c.paired.hi - 1) * 100 : null,
  }));
  return {
    $schema: VEGA_LITE_SCHEMA,
    title: {
      text: "Agent slow-down under capture",
      subtitle: `${r.meta.size.name} mode, ${runsText(r)}; lines: 95% interval of paired ratios`,
    },
    data: { values },
    width: 160,
    height: 220,
    facet: {
      row: { field: "timing", type: "nominal", title: null },
      column: {
        field: "task",
        type: "nominal",
        title: null,
        sort: ["Understand repo", "Code writing", "Repo compilation"],
      },
    },
    spacing: 24,
    spec: {
      layer: [
        {
          mark: "bar",
          encoding: {
            x: { field: "agent", type: "nominal", title: null },
            y: { field: "overhead", type: "quantitative", title: "overhead (%)" },
            color: { field: "agent", type: "nominal", legend: null },
          },
        },
        {
          mark: { type: "rule", strokeWidth: 1.5 },
          encoding: {
            x: { field: "agent", type: "nominal" },
            y: { field: "lo", type: "quantitative" },
            y2: { field: "hi" },
          },
        },
      ],
    },
  } as VegaLiteSpec;
}

/** Writes overhead.md, overhead.json and overhead.svg into `dir`; returns the Markdown. */
export async function writeOverheadReport(
  dir: string,
  r: OverheadResult,
  extra = "",
): Promise<string> {
  await Deno.mkdir(dir, { recursive: true });
  const md = overheadMarkdown(r, extra);
  await Deno.writeTextFile(`${dir}/overhead.md`, md);
  await Deno.writeTextFile(`${dir}/overhead.json`, JSON.stringify(r, null, 2) + "\n");
  await writeSvg(`${dir}/overhead.svg`, overheadChart(r));
  return md;
}

/** The per-operation costs the capture benchmark measured (reports/bench/capture.json). */
export interface ProbeCosts {
  probes: { what: string; costNs: number }[];
}

/**
 * "Where the time goes": the slow-down each cell would get from the per-operation costs of
 * the capture benchmark (file events, process starts, TLS calls), next to the measured one.
 */
export function whereTimeGoes(r: OverheadResult, costs: ProbeCosts): string {
  const cost = (prefix: string) => costs.probes.find((p) => p.what.startsWith(prefix))?.costNs;
  const file = cost("open+close+unlink, traced");
  const exec = cost("fork+exec+exit");
  const tls = cost("SSL_write of 100 bytes");
  if (file === undefined || exec === undefined || tls === undefined) return "";
  const lines = r.cells.map((c) => {
    const f = (c.rows.file ?? 0) * file / 2 / 1e9;
    const p = (c.rows.process ?? 0) / 3 * exec / 1e9;
    const t = (c.rows.tls ?? 0) * tls / 1e9;
    const measured = (c.captureMs.median - c.baselineMs.median) / 1000;
    const share = c.captureCpuMs / c.captureMs.median;
    return `| ${c.agent} | ${c.title} | ${c.timing} | ${measured.toFixed(2)} | ${f.toFixed(2)} | ` +
      `${p.toFixed(2)} | ${t.toFixed(2)} | ${(f + p + t).toFixed(2)} | ` +
      `${(share * 100).toFixed(0)}% |`;
  });
  return [
    "## Where the time goes",
    "",
    `Per-operation costs from the capture benchmark (capture.md): a traced file event ` +
    `+${(file / 2 / 1000).toFixed(1)} µs, a fork+exec+exit +${(exec / 1e6).toFixed(2)} ms, an ` +
    `SSL call +${(tls / 1000).toFixed(1)} µs (each as seen by the traced process, CPU contention ` +
    `with the capture on this machine included). Multiplied by what each run recorded:`,
    "",
    "| agent | task | timing | measured slow-down s | file events s | process starts s | TLS calls s | sum s | capture CPU / agent wall |",
    "| --- | --- | --- | --: | --: | --: | --: | --: | --: |",
    ...lines,
    "",
  ].join("\n");
}
