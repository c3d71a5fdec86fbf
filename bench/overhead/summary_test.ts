/**
 * Tests for a cell's summary and the report's words about the goal, on hand-made runs (no
 * agent, no root): pairs are formed by pair index and only from two good runs, and the report
 * claims only what its cells measured.
 */
import assert from "node:assert/strict";
import type { RunMeasure } from "./measured_run.ts";
import { goalSummary, overheadMarkdown } from "./report.ts";
import { GOALS, goodPairs, type OverheadResult, summarise, TARGET_HALF_WIDTH } from "./run.ts";
import { SIZES } from "./workloads.ts";

function measure(
  mode: "baseline" | "capture",
  pair: number,
  agentMs: number,
  ok = true,
): RunMeasure {
  return {
    agent: "claude",
    workload: "understand",
    mode,
    pair,
    ok,
    problems: ok ? [] : ["exit 1"],
    agentMs,
    agentCpuMs: 1000,
    endToEndMs: agentMs + (mode === "capture" ? 400 : 0),
    teardownMs: mode === "capture" ? 300 : null,
    captureCpuMs: mode === "capture" ? 200 : null,
    denoCpuMs: null,
    loaderCpuMs: null,
    denoPeakRssKb: null,
    loaderPeakRssKb: null,
    rows: mode === "capture" ? { process: 3, file: 10, net: 1, tls: 5 } : null,
    tlsBytes: mode === "capture" ? 1000 : null,
    drops: mode === "capture" ? {} : null,
    missedRuns: mode === "capture" ? 0 : null,
    firstRequestMs: 400,
    perTurnMs: 2000,
    llmRequests: 17,
    recordedLlmRequests: mode === "capture" ? 17 : null,
  };
}

/** Pairs of 30 s runs with capture 0.5% slower, ±0.2% alternately; pair 2's capture run failed. */
function runs(): RunMeasure[] {
  const out: RunMeasure[] = [];
  for (let i = 0; i < 8; i++) {
    const base = 30_000 + 500 * i; // the machine drifts; pairs cancel it
    const r = 1.005 + (i % 2 ? 0.002 : -0.002);
    // alternating order, as the benchmark runs them
    const pair = [measure("baseline", i, base), measure("capture", i, base * r, i !== 2)];
    out.push(...(i % 2 ? pair.reverse() : pair));
  }
  return out;
}

Deno.test("pairs are formed by index, from two good runs only", () => {
  const p = goodPairs(runs());
  assert.equal(p.a.length, 7, "pair 2 left out");
  assert.equal(p.a[2], 30_000 + 500 * 3);
  p.b.forEach((b, i) => assert.ok(Math.abs(b / p.a[i] - 1.005) < 0.0021));
});

Deno.test("a cell: the paired overhead, its interval and the verdict against the timing's goal", () => {
  const c = summarise("claude", "understand", runs(), {
    timing: "realistic",
    timingSource: "profile x",
    modelMs: 28_000,
    stop: "target reached",
    cellMs: 1,
  });
  assert.equal(c.runs, 7);
  assert.equal(c.failed, 1);
  assert.ok(Math.abs(c.paired.ratio - 1.005) < 0.001);
  assert.ok(c.paired.lo < 1.005 && c.paired.hi > 1.005 && c.paired.hi < 1.01);
  assert.ok(c.halfWidth < TARGET_HALF_WIDTH);
  assert.equal(c.goal, GOALS.realistic);
  assert.equal(c.verdict, "meets");
  // the ratio of medians sees the drift as noise: a much wider interval
  assert.ok(c.overhead.hi - c.overhead.lo > 5 * (c.paired.hi - c.paired.lo));
});

Deno.test("the report says what was measured against the goal, and what was not", () => {
  const cell = summarise("claude", "understand", runs(), {
    timing: "realistic",
    timingSource: "recorded transcript (zero latency) timed by profile realistic-v1",
    modelMs: 28_000,
    stop: "max runs",
    cellMs: 1,
  });
  const r: OverheadResult = {
    meta: {
      date: "2026-12-02T00:00:00Z",
      host: "h",
      kernel: "k",
      cpus: 2,
      memGiB: 24,
      size: SIZES.quick,
      runs: 5,
      timings: ["realistic"],
      timingSeed: 1,
      adaptive: { targetHalfWidth: 0.015, maxPairs: 8, budgetMs: 1_200_000 },
      goals: { ...GOALS },
      targetHalfWidth: TARGET_HALF_WIDTH,
      build: { commit: "c", loaderSha256: "l" } as unknown as OverheadResult["meta"]["build"],
      loadavg: [1.5, 1.7],
      idleCapture: false,
      captureArgs: [],
      note: "the machine was shared",
      method: "m",
    },
    cells: [cell],
    runs: runs(),
  };
  const g = goalSummary(r);
  assert.match(
    g,
    /realistic: 1 cell measured; 1 meet the goal, 0 miss it, 0 undecided; 1 of 1 reached ±1\.5%/,
  );
  assert.match(g, /stress \(zero latency\): not measured in this run\./);
  const md = overheadMarkdown(r);
  assert.match(md, /Note: the machine was shared/);
  assert.match(md, /\| claude \| Understand repo \| realistic \| 28\.00 \| 7 \(1 runs failed\) \|/);
  assert.match(md, /meets \(≤ 1%\) \| max runs \|/);
  assert.match(md, /timed by profile realistic-v1/);
  assert.doesNotMatch(md, /Not counted as the capture's/);
  // the agent left a process running: its CPU is said apart, not counted as the capture's
  const other = runs().map((m) => m.mode === "capture" ? { ...m, otherCpuMs: 120 } : m);
  const c2 = summarise("claude", "understand", other, {
    timing: "realistic",
    timingSource: "t",
    modelMs: 28_000,
    stop: "max runs",
    cellMs: 1,
  });
  assert.equal(c2.captureCpuMs, 200);
  assert.match(
    overheadMarkdown({ ...r, cells: [c2] }),
    /Not counted as the capture's: CPU of the agent's processes that were still running when it exited \(median per run\): claude\/Understand repo\/realistic 0\.12 s\./,
  );
});
