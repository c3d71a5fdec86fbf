/**
 * The overhead benchmark (the seed paper's Table 1 on this machine): for each agent and
 * workload, records a transcript once, then runs the agent N times without and N times with
 * capture, interleaved (baseline, capture, baseline, capture, ...) after one unmeasured warm-up
 * pair, and summarises each cell: medians and spreads, the overhead as the ratio of medians
 * with a bootstrap confidence interval, CPU of the agent and of the capture, capture memory,
 * rows per table and drops.
 */
import type { AgentName } from "../../lab/agents/agent_profile.ts";
import { buildCTool } from "../c_tool.ts";
import { type BuildInfo, buildInfo } from "../build_info.ts";
import { measuredRun, type Mode, type RunMeasure } from "./measured_run.ts";
import {
  bootstrapRatioOfMedians,
  median,
  pairedRatios,
  type RatioCi,
  type Spread,
  spread,
} from "./stats.ts";
import { ensureTranscript } from "./transcripts.ts";
import { type BenchSize, SIZES, type WorkloadName, WORKLOADS } from "./workloads.ts";

const PROC_TIMER = new URL("./proc_timer.c", import.meta.url).pathname;

export interface OverheadOptions {
  quick: boolean;
  agents: AgentName[];
  workloads: WorkloadName[];
  /** measured runs per mode (each cell gets `runs` baseline and `runs` capture runs) */
  runs: number;
  /** one unmeasured baseline+capture pair first (default true) */
  warmup?: boolean;
  /** where the working directory and scratch files go */
  tmpDir?: string;
  log?: (line: string) => void;
  /** extra options for `deno task capture` (e.g. --no-gate) */
  captureArgs?: string[];
  /** experiment: the capture's processes at SCHED_IDLE once the agent runs */
  idleCapture?: boolean;
}

export interface Cell {
  agent: AgentName;
  workload: WorkloadName;
  title: string;
  runs: number;
  failed: number;
  baselineMs: Spread;
  captureMs: Spread;
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
    build: BuildInfo;
    /** 1-minute load average before and after (other work on the machine adds noise) */
    loadavg: [number, number];
    /** experiment: capture at SCHED_IDLE */
    idleCapture: boolean;
    /** extra capture options the runs used */
    captureArgs: string[];
    method: string;
  };
  cells: Cell[];
  runs: RunMeasure[];
}

export const METHOD =
  "Each cell runs the agent on a replayed transcript (identical model answers, " +
  "offline) in a freshly generated working directory, alternating without and with capture " +
  "(B C B C ...) after one unmeasured warm-up pair, so slow drift of the machine hits both " +
  "modes alike. Agent time is the wall time of the agent's process tree from exec to exit " +
  "(proc_timer around the agent, inside the capture), i.e. what the agent is slowed down by, " +
  "with the capture already running as a daemon would be (the paper's setting). End-to-end " +
  "is the whole `deno task capture -- agent` command (capture start-up and drain included) " +
  "against the bare agent. Overhead = median(with) / median(without) - 1; the 95% interval " +
  "is a percentile bootstrap (10,000 resamples, seeded) of that ratio of medians, resampling " +
  "each mode's runs independently. CPU is user+sys from getrusage of the reaped process trees; " +
  "capture CPU = (capture command's tree) - (agent's tree); peak memory is VmHWM sampled from " +
  "/proc every 200 ms.";

const medianOf = (ms: RunMeasure[], f: (m: RunMeasure) => number | null): number | null => {
  const xs = ms.map(f).filter((x): x is number => x !== null && Number.isFinite(x));
  return xs.length ? median(xs) : null;
};

export function summarise(
  agent: AgentName,
  workload: WorkloadName,
  runs: RunMeasure[],
): Cell {
  const ok = runs.filter((r) => r.ok);
  const base = ok.filter((r) => r.mode === "baseline");
  const cap = ok.filter((r) => r.mode === "capture");
  const a = base.map((r) => r.agentMs);
  const b = cap.map((r) => r.agentMs);
  const tables = [...new Set(cap.flatMap((r) => Object.keys(r.rows ?? {})))];
  return {
    agent,
    workload,
    title: WORKLOADS[workload].title,
    runs: Math.min(base.length, cap.length),
    failed: runs.length - ok.length,
    baselineMs: spread(a),
    captureMs: spread(b),
    overhead: bootstrapRatioOfMedians(a, b),
    endToEnd: bootstrapRatioOfMedians(a, cap.map((r) => r.endToEndMs)),
    pairRatios: pairedRatios(a, b),
    agentCpuMs: {
      baseline: medianOf(base, (r) => r.agentCpuMs) ?? NaN,
      capture: medianOf(cap, (r) => r.agentCpuMs) ?? NaN,
    },
    captureCpuMs: medianOf(cap, (r) => r.captureCpuMs) ?? NaN,
    denoCpuMs: medianOf(cap, (r) => r.denoCpuMs),
    loaderCpuMs: medianOf(cap, (r) => r.loaderCpuMs),
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

export async function run(opts: OverheadOptions): Promise<OverheadResult> {
  const log = opts.log ?? ((l: string) => console.error(l));
  if (Deno.uid() !== 0) {
    throw new Error("the overhead benchmark captures with eBPF: run it as root");
  }
  const size = opts.quick ? SIZES.quick : SIZES.full;
  const tmp = opts.tmpDir ?? "/tmp/sightline-bench";
  const workdir = `${tmp}/work`;
  const scratch = `${tmp}/scratch`;
  await Deno.mkdir(scratch, { recursive: true });
  const timer = await buildCTool(PROC_TIMER);
  const dd = await denoDir();
  const all: RunMeasure[] = [];
  const cells: Cell[] = [];
  const load0 = await loadavg();
  for (const agent of opts.agents) {
    for (const name of opts.workloads) {
      const w = WORKLOADS[name];
      const transcript = await ensureTranscript(agent, w, size, workdir, log);
      const prompt = JSON.parse(await Deno.readTextFile(w.scenario)).prompt as string;
      const one = (mode: Mode) =>
        measuredRun({
          agent,
          workload: w,
          size,
          mode,
          transcript,
          prompt,
          workdir,
          scratch,
          timer,
          denoDir: dd,
          captureArgs: opts.captureArgs,
          idleCapture: opts.idleCapture,
        });
      if (opts.warmup ?? true) {
        for (const mode of ["baseline", "capture"] as const) {
          const m = await one(mode);
          log(
            `${agent}/${name} warm-up ${mode}: ${fmtS(m.agentMs)}${
              m.ok ? "" : ` FAILED: ${m.problems.join("; ")}`
            }`,
          );
        }
      }
      const runs: RunMeasure[] = [];
      for (let i = 0; i < opts.runs; i++) {
        for (const mode of ["baseline", "capture"] as const) {
          const m = await one(mode);
          runs.push(m);
          const extra = mode === "capture"
            ? `, end-to-end ${fmtS(m.endToEndMs)}, capture CPU ${fmtS(m.captureCpuMs ?? NaN)}, ` +
              `${Object.values(m.rows ?? {}).reduce((s, n) => s + n, 0)} rows`
            : "";
          log(
            `${agent}/${name} ${i + 1}/${opts.runs} ${mode}: agent ${fmtS(m.agentMs)}${extra}` +
              (m.ok ? "" : ` FAILED: ${m.problems.join("; ")}`),
          );
        }
      }
      all.push(...runs);
      const cell = summarise(agent, name, runs);
      cells.push(cell);
      log(
        `${agent}/${name}: overhead ${((cell.overhead.ratio - 1) * 100).toFixed(1)}% ` +
          `[${((cell.overhead.lo - 1) * 100).toFixed(1)}, ${
            ((cell.overhead.hi - 1) * 100).toFixed(1)
          }]`,
      );
    }
  }
  await Deno.remove(workdir, { recursive: true }).catch(() => {});
  const mem = /MemTotal:\s+(\d+)/.exec(await Deno.readTextFile("/proc/meminfo"))?.[1];
  return {
    meta: {
      date: new Date().toISOString(),
      host: Deno.hostname(),
      kernel: Deno.osRelease(),
      cpus: navigator.hardwareConcurrency,
      memGiB: Math.round(Number(mem ?? 0) / 1024 / 1024),
      size,
      runs: opts.runs,
      build: await buildInfo(),
      loadavg: [load0, await loadavg()],
      captureArgs: opts.captureArgs ?? [],
      idleCapture: opts.idleCapture ?? false,
      method: METHOD,
    },
    cells,
    runs: all,
  };
}
