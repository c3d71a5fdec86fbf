/**
 * `deno task bench --continue FILE`, without root or agents: the benchmark's loop with a fake
 * measurement (each run's time a function of its cell, pair and mode only), interrupted in the
 * middle of a pair, then resumed from its partial results file: the finished cell is not run
 * again, the cut pair is measured again whole at its index, the interleaving goes on where it
 * stopped, and the run ends with the cells, pairs and order of one that was not interrupted.
 */
import assert from "node:assert/strict";
import type { Mode, RunMeasure } from "./measured_run.ts";
import { cellResume, PARTIAL_FILE, readPartial } from "./partial.ts";
import { type OverheadOptions, run } from "./run.ts";
import type { TimingMode } from "./transcripts.ts";
import type { WorkloadName } from "./workloads.ts";
import { main } from "./main.ts";

interface Call {
  workload: string;
  transcript: string;
  mode: Mode;
}

/** A measurement that says what it was called for; it fails from call `failAt` on. */
function fakeMeasure(calls: Call[], failAt = Infinity) {
  return (agent: string, workload: WorkloadName, mode: Mode, transcript: string) => {
    if (calls.length >= failAt) throw new Error("interrupted");
    calls.push({ workload, transcript, mode });
    return Promise.resolve(measure(agent, workload, mode, calls.length));
  };
}

function measure(agent: string, workload: string, mode: Mode, n: number): RunMeasure {
  const base = 1000 + (n * 37) % 50;
  const agentMs = mode === "capture" ? base * (1.01 + (n % 3) * 0.002) : base;
  return {
    agent: agent as RunMeasure["agent"],
    workload,
    mode,
    ok: true,
    problems: [],
    agentMs,
    agentCpuMs: agentMs / 2,
    endToEndMs: agentMs + (mode === "capture" ? 200 : 0),
    teardownMs: mode === "capture" ? 50 : null,
    captureCpuMs: mode === "capture" ? 100 : null,
    denoCpuMs: null,
    loaderCpuMs: null,
    denoPeakRssKb: null,
    loaderPeakRssKb: null,
    rows: mode === "capture" ? { process: 3 } : null,
    tlsBytes: null,
    drops: null,
    missedRuns: null,
    firstRequestMs: 100,
    perTurnMs: 10,
    llmRequests: 2,
    recordedLlmRequests: null,
  };
}

const prepare = (_agent: string, _workload: WorkloadName, timing: TimingMode) =>
  Promise.resolve({ path: timing, source: "fake", modelMs: 0, calls: 0, medianTtftMs: 0 });

async function options(dir: string, measure: OverheadOptions["measure"]) {
  const partial = `${dir}/${PARTIAL_FILE}`;
  const opts = {
    quick: true,
    agents: ["claude"],
    workloads: ["understand", "write"],
    timings: ["zero", "realistic"],
    runs: 3,
    tmpDir: dir,
  } satisfies Partial<OverheadOptions>;
  await Deno.writeTextFile(
    partial,
    JSON.stringify({ kind: "start", options: opts, out: dir, date: "then", load: 1.5 }) + "\n",
  );
  return { ...opts, partial, measure, prepare, log: () => {} } as OverheadOptions;
}

Deno.test("bench --continue: an interrupted run goes on where it stopped and ends as one that was not", async () => {
  const dir = await Deno.makeTempDir({ prefix: "sl-bench-continue-" });
  try {
    // the reference: no interruption
    const refCalls: Call[] = [];
    const ref = await run(await options(`${dir}`, fakeMeasure(refCalls)));
    assert.equal(ref.cells.length, 4);
    // the same run cut short in the middle of a pair of the second cell: each cell is a
    // warm-up pair and 3 measured pairs (8 calls); call 8 + 2 (warm-up) + 3 is the baseline of
    // the second cell's pair 2 (C B: capture first)
    const cut = `${dir}/cut`;
    await Deno.mkdir(cut);
    const firstCalls: Call[] = [];
    await assert.rejects(run(await options(cut, fakeMeasure(firstCalls, 13))), /interrupted/);
    const text = await Deno.readTextFile(`${cut}/${PARTIAL_FILE}`);
    const p = readPartial(text);
    assert.equal(p.cells.length, 1, "the first cell finished");
    const second = cellResume(p, { agent: "claude", workload: "understand", timing: "realistic" });
    assert.equal(second.next, 1, "the second cell's pair 1 is complete, pair 2 was cut");
    assert.deepEqual(second.runs.map((r) => [r.pair, r.mode]), [[0, "baseline"], [0, "capture"]]);
    assert.equal(p.runs.length, 3 * 2 + 3, "the cut pair's capture run was logged");

    // go on, from the partial file read back
    const resumedCalls: Call[] = [];
    const opts = await options(cut, fakeMeasure(resumedCalls));
    await Deno.writeTextFile(`${cut}/${PARTIAL_FILE}`, text); // (options() started it anew)
    const done = await run({ ...opts, resume: readPartial(text) });
    // nothing of the first cell measured again; the second cell: its warm-up (the machine is
    // cold again), then pair 2 whole (C B), then pair 3 (B C)
    assert.deepEqual(
      resumedCalls.slice(0, 6).map((c) => `${c.workload}/${c.transcript}/${c.mode}`),
      [
        "understand/zero/baseline",
        "understand/zero/capture",
        "understand/realistic/capture",
        "understand/realistic/baseline",
        "understand/realistic/baseline",
        "understand/realistic/capture",
      ],
    );
    assert.equal(resumedCalls.length, 6 + 2 * 8, "the two cells after it in full");
    // the same cells, pairs and order as the run that was not interrupted
    const shape = (r: RunMeasure) => `${r.workload}/${r.timing}/${r.pair}/${r.mode}`;
    assert.deepEqual(done.runs.map(shape), ref.runs.map(shape));
    assert.deepEqual(
      done.cells.map((c) => [c.workload, c.timing, c.runs, c.pairRatios.length, c.stop]),
      ref.cells.map((c) => [c.workload, c.timing, c.runs, c.pairRatios.length, c.stop]),
    );
    // what was measured before is kept as it was
    assert.deepEqual(done.cells[0], p.cells[0]);
    assert.deepEqual(done.runs.slice(0, 8), p.runs.slice(0, 8));
    assert.equal(done.meta.date, "then", "the run's start date is kept");
    assert.equal(done.meta.loadavg[0], 1.5, "and its load average before");
  } finally {
    await Deno.remove(dir, { recursive: true });
  }
});

Deno.test("bench --continue: a run cut between its last pair and its summary adds no pair", async () => {
  const dir = await Deno.makeTempDir({ prefix: "sl-bench-continue-" });
  try {
    const calls: Call[] = [];
    const opts = await options(dir, fakeMeasure(calls));
    await run({ ...opts, workloads: ["understand"], timings: ["zero"] });
    // drop the cell's summary, as if killed just before it was written
    const file = `${dir}/${PARTIAL_FILE}`;
    const lines = (await Deno.readTextFile(file)).trimEnd().split("\n");
    assert.match(lines.at(-1)!, /"kind":"cell"/);
    const cut = lines.slice(0, -1).join("\n") + "\n";
    const again: Call[] = [];
    const r = await run({
      ...opts,
      workloads: ["understand"],
      timings: ["zero"],
      measure: fakeMeasure(again),
      resume: readPartial(cut),
    });
    assert.equal(again.length, 0, "nothing measured, not even a warm-up");
    assert.equal(r.cells[0].runs, 3);
  } finally {
    await Deno.remove(dir, { recursive: true });
  }
});

Deno.test("readPartial: a torn last line is dropped; a file that is not one is refused", () => {
  const start = JSON.stringify({ kind: "start", options: {}, out: "/x", date: "d", load: 1 });
  const run1 = JSON.stringify({ kind: "run", run: { agent: "claude", pair: 0 } });
  const p = readPartial(`${start}\n${run1}\n{"kind":"run","ru`);
  assert.equal(p.runs.length, 1);
  assert.throws(() => readPartial(`${start}\n{"kind"\n${run1}\n`, "f"), /f: line 2 is not JSON/);
  assert.throws(() => readPartial(`${run1}\n`, "f"), /f: no start line/);
  assert.throws(() => readPartial("", "f"), /no start line/);
});

Deno.test("bench --continue FILE takes no other options, and a missing FILE is one line", async () => {
  await assert.rejects(
    main(["--continue", "/nonexistent/overhead.partial.jsonl", "--runs", "3"]),
    /--continue FILE goes on with the options the run was started with: no others/,
  );
  await assert.rejects(
    main(["--continue", "/nonexistent/overhead.partial.jsonl"]),
    /--continue: cannot read \/nonexistent\/overhead.partial.jsonl/,
  );
});
