/**
 * The overhead benchmark (the seed paper's Table 1 on this machine): for each agent, workload
 * and model timing (realistic pauses, or none as a stress case), records a transcript once,
 * then runs the agent in interleaved pairs without and with capture (B C, C B, B C, ...) after
 * one unmeasured warm-up pair: a fixed number of pairs, or adaptively until the overhead's 95%
 * interval is narrow enough, a run limit or a time budget. Each cell gets the paired overhead
 * with its interval and verdict against the goal, medians and spreads, the ratio of medians
 * with a bootstrap interval, CPU of the agent and of the capture, capture memory, rows per
 * table and drops.
 */
import { filePath } from "../../kit/file_path.ts";
import type { AgentName } from "../../lab/agents/agent_profile.ts";
import { buildCTool } from "../c_tool.ts";
import { type BuildInfo, buildInfo } from "../build_info.ts";
import { measuredRun, type Mode, type RunMeasure } from "./measured_run.ts";
import {
  bootstrapRatioOfMedians,
  goalVerdict,
  halfWidth,
  median,
  type PairedCi,
  pairedRatioCi,
  pairedRatios,
  pairOrder,
  type RatioCi,
  type Spread,
  spread,
  type StopReason,
  stopReason,
  type StopRule,
  type Verdict,
} from "./stats.ts";
import {
  ensureTranscript,
  type TimedTranscript,
  timedTranscript,
  type TimingMode,
} from "./transcripts.ts";
import { cellResume, type Partial, PartialLog } from "./partial.ts";
import { type BenchSize, SIZES, type WorkloadName, WORKLOADS } from "./workloads.ts";

const PROC_TIMER = filePath("./proc_timer.c", import.meta.url);

/** Goals per timing (fractions): realistic cells' upper bound at most 1%, stress at most 3%. */
export const GOALS: Readonly<Record<TimingMode, number>> = { realistic: 0.01, zero: 0.03 };
/** The interval every cell should reach: ±1.5%. */
export const TARGET_HALF_WIDTH = 0.015;

/** Adaptive cells: add pairs until the interval is narrow enough, or a limit. */
export interface AdaptiveOptions {
  /** stop once the paired interval's half-width is at most this (0.015: ±1.5%) */
  targetHalfWidth: number;
  /** most pairs per cell */
  maxPairs: number;
  /** time budget per cell, ms */
  budgetMs: number;
  /** go on past the target until the interval decides the cell's goal (or a limit) */
  decide?: boolean;
}

export interface OverheadOptions {
  quick: boolean;
  agents: AgentName[];
  workloads: WorkloadName[];
  /** measured pairs per cell (each pair: one baseline and one capture run); adaptive: at least */
  runs: number;
  /** model timings to measure, each its own cell (default ["zero"]) */
  timings?: TimingMode[];
  /** seed of the realistic timing profile's jitter (default 1) */
  timingSeed?: number;
  /** add pairs until the interval is narrow enough (default: exactly `runs` pairs) */
  adaptive?: AdaptiveOptions;
  /** one unmeasured baseline+capture pair first (default true) */
  warmup?: boolean;
  /** where the working directory and scratch files go */
  tmpDir?: string;
  log?: (line: string) => void;
  /** extra options for `deno task capture` (e.g. --no-gate) */
  captureArgs?: string[];
  /** experiment: the capture's processes at SCHED_IDLE once the agent runs */
  idleCapture?: boolean;
  /** a line for the report (e.g. what else ran on the machine) */
  note?: string;
  /** the partial results file to append to as runs finish (partial.ts) */
  partial?: string;
  /** a partial run to go on with (`--continue`): its finished cells and pairs are kept */
  resume?: Partial<StoredOptions, Cell>;
  /** tests: measure a run without agents or root (default: measuredRun) */
  measure?: (agent: AgentName, workload: WorkloadName, mode: Mode, transcript: string) => Promise<
    RunMeasure
  >;
  /** tests: the transcript a cell replays (default: recorded, then timed) */
  prepare?: (agent: AgentName, workload: WorkloadName, timing: TimingMode) => Promise<
    TimedTranscript
  >;
}

/** What a run was started with, as its partial results file keeps it: no callbacks. */
export type StoredOptions = Omit<
  OverheadOptions,
  "log" | "measure" | "prepare" | "partial" | "resume"
>;

export interface Cell {
  agent: AgentName;
  workload: WorkloadName;
  title: string;
  timing: TimingMode;
  /** where the replayed pauses come from (profile and seed, the transcript's own, or none) */
  timingSource: string;
  /** the model's time in the replayed transcript (sum of its pauses), ms */
  modelMs: number;
  runs: number;
  failed: number;
  baselineMs: Spread;
  captureMs: Spread;
  /** agent wall time, paired: geometric mean of capture / baseline per pair, 95% t interval */
  paired: PairedCi;
  /** the paired interval's half-width (0.015: ±1.5%) */
  halfWidth: number;
  /** the goal for this timing (fraction) and whether the interval shows it met */
  goal: number;
  verdict: Verdict;
  /** why the cell stopped adding pairs, and its wall time */
  stop: StopReason | "runs failed";
  cellMs: number;
  /** agent wall time: median(capture) / median(baseline), 95% bootstrap CI */
  overhead: RatioCi;
  /** the same for the whole `deno task capture -- agent` command (start-up included) */
  endToEnd: RatioCi;
  /** per interleaved pair: capture / baseline */
  pairRatios: number[];
  agentCpuMs: { baseline: number; capture: number };
  captureCpuMs: number;
  denoCpuMs: number | null;
  loaderCpuMs: number | null;
  /** the agent's processes left running after it exited (capture_cpu.ts); absent before */
  otherCpuMs?: number | null;
  denoPeakRssKb: number | null;
  loaderPeakRssKb: number | null;
  teardownMs: number;
  /** medians: agent exec → first LLM request, and time per model turn after it */
  firstRequestMs: { baseline: number; capture: number };
  perTurnMs: { baseline: number; capture: number };
  rows: Record<string, number>;
  tlsBytes: number;
  drops: number;
  missedRuns: number;
  llmRequests: number;
}

export interface OverheadResult {
  meta: {
    date: string;
    host: string;
    kernel: string;
    cpus: number;
    memGiB: number;
    size: BenchSize;
    runs: number;
    timings: TimingMode[];
    timingSeed: number;
    adaptive: AdaptiveOptions | null;
    goals: Record<TimingMode, number>;
    targetHalfWidth: number;
    build: BuildInfo;
    /** 1-minute load average before and after (other work on the machine adds noise) */
    loadavg: [number, number];
    /** experiment: capture at SCHED_IDLE */
    idleCapture: boolean;
    /** extra capture options the runs used */
    captureArgs: string[];
    /** the caller's note (e.g. what else ran on the machine) */
    note?: string;
    /** when the run was resumed from its partial results (`--continue`), each time */
    resumed?: string[];
    method: string;
  };
  cells: Cell[];
  runs: RunMeasure[];
}

export const METHOD =
  "Each cell runs the agent on a replayed transcript (identical model answers, " +
  "offline) in a freshly generated working directory, in interleaved pairs without and with " +
  "capture, the order alternating (B C, C B, B C, ...), after one unmeasured warm-up pair " +
  "(at zero latency), so slow drift of the machine hits both modes alike. Realistic cells " +
  "replay the answers with a model's timing (a pause before each server-sent event: the time " +
  "to first token, then each event's tokens at the call's speed; the same pauses in every " +
  "run), stress cells at once. The overhead is the geometric mean of the pairs' ratios " +
  "(with / without) with a 95% Student-t interval on their logarithms; adaptive cells add " +
  "pairs until that interval's half-width is at most the target, or a run limit or time " +
  "budget is reached (the table says which). Agent time is the wall time of the agent's process tree from exec to exit " +
  "(proc_timer around the agent, inside the capture), i.e. what the agent is slowed down by, " +
  "with the capture already running as a daemon would be (the paper's setting). End-to-end " +
  "is the whole `deno task capture -- agent` command (capture start-up and drain included) " +
  "against the bare agent. The ratio of medians, median(with) / median(without) - 1, is " +
  "given too, with a percentile bootstrap interval (10,000 resamples, seeded) resampling " +
  "each mode's runs independently. CPU is user+sys from getrusage of the reaped process trees; " +
  "capture CPU = what the capture's own processes (Deno, the loader, the gate's watchdog) used, " +
  "each as reaped by name by the proc_timer around the capture command, the loader's " +
  "usage less the agent's tree and its timer (it reaps them); peak memory is VmHWM sampled " +
  "from /proc every 200 ms.";

const medianOf = (ms: RunMeasure[], f: (m: RunMeasure) => number | null): number | null => {
  const xs = ms.map(f).filter((x): x is number => x !== null && Number.isFinite(x));
  return xs.length ? median(xs) : null;
};

/**
 * The good pairs of a cell's runs: baseline and capture agent times of each pair index whose
 * two runs both succeeded (runs without a pair index pair up in order).
 */
export function goodPairs(runs: readonly RunMeasure[]): { a: number[]; b: number[] } {
  const byPair = new Map<number, { base?: RunMeasure; cap?: RunMeasure }>();
  const seen = { baseline: 0, capture: 0 };
  for (const r of runs) {
    const i = r.pair ?? seen[r.mode]++;
    if (i < 0) continue;
    const p = byPair.get(i) ?? {};
    if (r.mode === "baseline") p.base = r;
    else p.cap = r;
    byPair.set(i, p);
  }
  const a: number[] = [];
  const b: number[] = [];
  for (const [, p] of [...byPair].sort((x, y) => x[0] - y[0])) {
    if (p.base?.ok && p.cap?.ok) (a.push(p.base.agentMs), b.push(p.cap.agentMs));
  }
  return { a, b };
}

export interface CellContext {
  timing: TimingMode;
  timingSource: string;
  modelMs: number;
  stop: Cell["stop"];
  cellMs: number;
}

export function summarise(
  agent: AgentName,
  workload: WorkloadName,
  runs: RunMeasure[],
  ctx: CellContext = {
    timing: "zero",
    timingSource: "zero latency",
    modelMs: 0,
    stop: "fixed runs",
    cellMs: NaN,
  },
): Cell {
  const ok = runs.filter((r) => r.ok);
  const base = ok.filter((r) => r.mode === "baseline");
  const cap = ok.filter((r) => r.mode === "capture");
  const a = base.map((r) => r.agentMs);
  const b = cap.map((r) => r.agentMs);
  const tables = [...new Set(cap.flatMap((r) => Object.keys(r.rows ?? {})))];
  const pairs = goodPairs(runs);
  const paired = pairedRatioCi(pairs.a, pairs.b);
  return {
    agent,
    workload,
    title: WORKLOADS[workload].title,
    ...ctx,
    runs: pairs.a.length,
    failed: runs.length - ok.length,
    baselineMs: spread(a),
    captureMs: spread(b),
    paired,
    halfWidth: halfWidth(paired),
    goal: GOALS[ctx.timing],
    verdict: goalVerdict(paired, GOALS[ctx.timing]),
    overhead: bootstrapRatioOfMedians(a, b),
    endToEnd: bootstrapRatioOfMedians(a, cap.map((r) => r.endToEndMs)),
    pairRatios: pairedRatios(pairs.a, pairs.b),
    agentCpuMs: {
      baseline: medianOf(base, (r) => r.agentCpuMs) ?? NaN,
      capture: medianOf(cap, (r) => r.agentCpuMs) ?? NaN,
    },
    captureCpuMs: medianOf(cap, (r) => r.captureCpuMs) ?? NaN,
    denoCpuMs: medianOf(cap, (r) => r.denoCpuMs),
    loaderCpuMs: medianOf(cap, (r) => r.loaderCpuMs),
    otherCpuMs: medianOf(cap, (r) => r.otherCpuMs ?? null),
    denoPeakRssKb: medianOf(cap, (r) => r.denoPeakRssKb),
    loaderPeakRssKb: medianOf(cap, (r) => r.loaderPeakRssKb),
    teardownMs: medianOf(cap, (r) => r.teardownMs) ?? NaN,
    firstRequestMs: {
      baseline: medianOf(base, (r) => r.firstRequestMs) ?? NaN,
      capture: medianOf(cap, (r) => r.firstRequestMs) ?? NaN,
    },
    perTurnMs: {
      baseline: medianOf(base, (r) => r.perTurnMs) ?? NaN,
      capture: medianOf(cap, (r) => r.perTurnMs) ?? NaN,
    },
    rows: Object.fromEntries(tables.map((t) => [t, medianOf(cap, (r) => r.rows?.[t] ?? 0) ?? 0])),
    tlsBytes: medianOf(cap, (r) => r.tlsBytes) ?? 0,
    drops: Math.max(0, ...cap.map((r) => Object.values(r.drops ?? {}).reduce((s, n) => s + n, 0))),
    missedRuns: Math.max(0, ...cap.map((r) => r.missedRuns ?? 0)),
    llmRequests: medianOf(ok, (r) => r.llmRequests) ?? 0,
  };
}

async function denoDir(): Promise<string> {
  const out = await new Deno.Command(Deno.execPath(), { args: ["info", "--json"], stdout: "piped" })
    .output();
  return JSON.parse(new TextDecoder().decode(out.stdout)).denoDir;
}

async function loadavg(): Promise<number> {
  return Number((await Deno.readTextFile("/proc/loadavg")).split(" ")[0]);
}

const fmtS = (ms: number) => `${(ms / 1000).toFixed(2)} s`;
const pct = (r: number) => `${r >= 1 ? "+" : ""}${((r - 1) * 100).toFixed(2)}%`;
const pctCi = (c: RatioCi) => `${pct(c.ratio)} [${pct(c.lo)}, ${pct(c.hi)}]`;

export async function run(opts: OverheadOptions): Promise<OverheadResult> {
  const log = opts.log ?? ((l: string) => console.error(l));
  const fake = opts.measure !== undefined;
  if (!fake && Deno.uid() !== 0) {
    throw new Error("the overhead benchmark captures with eBPF: run it as root");
  }
  const size = opts.quick ? SIZES.quick : SIZES.full;
  const tmp = opts.tmpDir ?? "/tmp/sightline-bench";
  const workdir = `${tmp}/work`;
  const scratch = `${tmp}/scratch`;
  await Deno.mkdir(scratch, { recursive: true });
  const timer = fake ? "" : await buildCTool(PROC_TIMER);
  const dd = fake ? "" : await denoDir();
  const all: RunMeasure[] = [];
  const cells: Cell[] = [];
  const resume = opts.resume;
  const load0 = resume?.start.load ?? await loadavg();
  const partial = opts.partial ? new PartialLog<StoredOptions, Cell>(opts.partial) : undefined;
  const timings = opts.timings ?? ["zero"];
  const seed = opts.timingSeed ?? 1;
  const fixed: StopRule = {
    minPairs: opts.runs,
    maxPairs: opts.runs,
    targetHalfWidth: Infinity,
    budgetMs: Infinity,
  };
  const ruleFor = (timing: TimingMode): StopRule =>
    opts.adaptive
      ? {
        minPairs: opts.runs,
        maxPairs: Math.max(opts.runs, opts.adaptive.maxPairs),
        targetHalfWidth: opts.adaptive.targetHalfWidth,
        budgetMs: opts.adaptive.budgetMs,
        ...(opts.adaptive.decide ? { goal: GOALS[timing] } : {}),
      }
      : fixed;
  for (const agent of opts.agents) {
    for (const name of opts.workloads) {
      const w = WORKLOADS[name];
      const key = (timing: TimingMode) => ({ agent, workload: name, timing });
      // cells a resumed run finished before: kept as they were, nothing run again
      const left = timings.filter((t) => {
        const r = cellResume(resume, key(t));
        if (!r.done) return true;
        cells.push(r.done);
        all.push(...r.runs);
        log(`${agent}/${name}/${t}: finished before (${r.done.runs} pairs), kept`);
        return false;
      });
      if (!left.length) continue;
      let one = opts.measure
        ? (mode: Mode, path: string) => opts.measure!(agent, name, mode, path)
        : undefined;
      let prepare = opts.prepare
        ? (timing: TimingMode) => opts.prepare!(agent, name, timing)
        : undefined;
      if (!one || !prepare) {
        const transcript = await ensureTranscript(agent, w, size, workdir, log);
        const prompt = JSON.parse(await Deno.readTextFile(w.scenario)).prompt as string;
        one ??= (mode: Mode, path: string) =>
          measuredRun({
            agent,
            workload: w,
            size,
            mode,
            transcript: path,
            prompt,
            workdir,
            scratch,
            timer,
            denoDir: dd,
            captureArgs: opts.captureArgs,
            idleCapture: opts.idleCapture,
          });
        prepare ??= (timing: TimingMode) => timedTranscript(transcript, timing, seed, scratch);
      }
      const zero = await prepare("zero");
      for (const timing of left) {
        const tt = timing === "zero" ? zero : await prepare(timing);
        const label = `${agent}/${name}/${timing}`;
        if (timing !== "zero") {
          log(
            `${label}: ${tt.calls} timed model calls, ${fmtS(tt.modelMs)} of model time, ` +
              `median time to first token ${tt.medianTtftMs.toFixed(0)} ms (${tt.source})`,
          );
        }
        const before = cellResume(resume, key(timing));
        const runs: RunMeasure[] = [...before.runs];
        const pairMs: number[] = [...before.pairMs];
        if (before.next) {
          log(
            `${label}: ${before.next} pairs measured before, going on from pair ${before.next + 1}`,
          );
        }
        // the cell's time so far counts against its budget
        const t0 = performance.now() - pairMs.reduce((a, b) => a + b, 0);
        let failedPairs = 0;
        for (let i = 0; i < before.next; i++) {
          if (!runs.filter((r) => r.pair === i).every((r) => r.ok)) failedPairs++;
        }
        // a run interrupted between its last pair and the cell's summary: nothing to add
        const stopOf = () => {
          const pairs = goodPairs(runs);
          const ci = pairedRatioCi(pairs.a, pairs.b);
          return {
            ci,
            pairs,
            stop: failedPairs >= 3
              ? "runs failed" as const
              : stopReason(ruleFor(timing), pairMs, ci),
          };
        };
        let stop: Cell["stop"] | null = before.next ? stopOf().stop : null;
        if (stop === null && (opts.warmup ?? true)) {
          for (const mode of ["baseline", "capture"] as const) {
            const m = await one(mode, zero.path);
            log(
              `${label} warm-up ${mode}: ${fmtS(m.agentMs)}${
                m.ok ? "" : ` FAILED: ${m.problems.join("; ")}`
              }`,
            );
          }
        }
        for (let i = before.next; stop === null; i++) {
          const p0 = performance.now();
          let pairOk = true;
          for (const mode of pairOrder(i)) {
            const m = { ...await one(mode, tt.path), timing, pair: i };
            runs.push(m);
            partial?.append({ kind: "run", run: m });
            pairOk &&= m.ok;
            const extra = mode === "capture"
              ? `, end-to-end ${fmtS(m.endToEndMs)}, capture CPU ${fmtS(m.captureCpuMs ?? NaN)}, ` +
                `${Object.values(m.rows ?? {}).reduce((s, n) => s + n, 0)} rows`
              : "";
            log(
              `${label} pair ${i + 1} ${mode}: agent ${fmtS(m.agentMs)}${extra}` +
                (m.ok ? "" : ` FAILED: ${m.problems.join("; ")}`),
            );
          }
          pairMs.push(performance.now() - p0);
          partial?.append({ kind: "pair", ...key(timing), pair: i, ms: pairMs.at(-1)! });
          if (!pairOk) failedPairs++;
          const { ci, pairs, stop: why } = stopOf();
          if (pairs.a.length > 1) {
            log(
              `${label} after ${pairs.a.length} pairs: ${pctCi(ci)}, ±${
                (halfWidth(ci) * 100).toFixed(2)
              }%`,
            );
          }
          // a cell whose runs keep failing is not measured further
          stop = why;
        }
        all.push(...runs);
        const cell = summarise(agent, name, runs, {
          timing,
          timingSource: tt.source,
          modelMs: tt.modelMs,
          stop,
          cellMs: performance.now() - t0,
        });
        cells.push(cell);
        partial?.append({ kind: "cell", cell });
        log(
          `${label}: overhead ${pctCi(cell.paired)} over ${cell.runs} pairs, ±${
            (cell.halfWidth * 100).toFixed(2)
          }% (${cell.stop}); goal ≤ ${(cell.goal * 100).toFixed(0)}%: ${cell.verdict}`,
        );
      }
    }
  }
  await Deno.remove(workdir, { recursive: true }).catch(() => {});
  const mem = /MemTotal:\s+(\d+)/.exec(await Deno.readTextFile("/proc/meminfo"))?.[1];
  return {
    meta: {
      date: resume?.start.date ?? new Date().toISOString(),
      host: Deno.hostname(),
      kernel: Deno.osRelease(),
      cpus: navigator.hardwareConcurrency,
      memGiB: Math.round(Number(mem ?? 0) / 1024 / 1024),
      size,
      runs: opts.runs,
      timings,
      timingSeed: seed,
      adaptive: opts.adaptive ?? null,
      goals: { ...GOALS },
      targetHalfWidth: TARGET_HALF_WIDTH,
      build: await buildInfo(),
      loadavg: [load0, await loadavg()],
      captureArgs: opts.captureArgs ?? [],
      idleCapture: opts.idleCapture ?? false,
      ...(opts.note ? { note: opts.note } : {}),
      ...(resume ? { resumed: [...resume.resumed] } : {}),
      method: METHOD,
    },
    cells,
    runs: all,
  };
}
