/**
 * One measured run of the overhead benchmark: a fresh working directory with the generated
 * project, a real agent replaying a recorded transcript against the scripted model server,
 * either plain (baseline) or under `deno task capture`. The agent runs under proc_timer (wall
 * time and CPU of its process tree); with capture, a second proc_timer around the capture
 * process measures the whole (so capture's CPU is the difference) and waits until the loader
 * has gone, and /proc sampling gives the capture's peak memory. The capture's CPU, and its split
 * into Deno, loader and watchdog, come from what the outer timer reaped by name (capture_cpu.ts).
 */
import type { AgentName } from "../../lab/agents/agent_profile.ts";
import { runAgent } from "../../lab/agents/run_agent.ts";
import type { Manifest } from "../../recording/manifest.ts";
import { readRecording } from "../../recording/recording.ts";
import { sampleCapture } from "./proc_sampler.ts";
import { recordedRequests } from "./recorded_requests.ts";
import type { BenchSize, Workload } from "./workloads.ts";
import { captureCommand } from "../../capture/command_line.ts";
import { captureCpu, type TimerUsage } from "./capture_cpu.ts";

export type Mode = "baseline" | "capture";

export interface RunSpec {
  agent: AgentName;
  workload: Workload;
  size: BenchSize;
  mode: Mode;
  /** transcript to replay, and the prompt it was recorded with */
  transcript: string;
  prompt: string;
  /** fixed working directory (the transcript's tool calls name paths in it) */
  workdir: string;
  /** scratch directory for timer output and the recording */
  scratch: string;
  /** proc_timer binary */
  timer: string;
  /** DENO_DIR for the capture process, so it uses the warm module cache */
  denoDir: string;
  timeoutMs?: number;
  /** extra options for `deno task capture` (e.g. --no-gate, for experiments) */
  captureArgs?: string[];
  /**
   * Experiment: once the agent has started, move the capture's own processes (deno, loader)
   * to SCHED_IDLE, so they only get CPU the agent leaves over.
   */
  idleCapture?: boolean;
  /**
   * capture through this resident capture (`capture --serve`, its socket and pid) instead of a
   * capture of its own: the capture's CPU is then the client's (the outer timer's) plus what
   * the resident capture and the loader it started used over the session (serverCpu)
   */
  resident?: { socket: string; pid: number };
  /** resident capture only: the client to run, an executable taking `capture`'s arguments
   * (native/'s C client), in place of Deno's (`deno run CAPTURE_MAIN`) */
  viaClient?: string;
  /** the capture's capture/main.ts, when it is another checkout's (default this tree's) */
  captureMain?: string;
}

interface TimerOut extends TimerUsage {
  wall_ns: number;
  all_ns: number;
  maxrss_kb: number;
  exit_code: number;
  start_ms: number;
}

export interface RunMeasure {
  agent: AgentName;
  workload: string;
  mode: Mode;
  /** set by the benchmark: the model timing replayed, and which interleaved pair (-1: warm-up) */
  timing?: string;
  pair?: number;
  ok: boolean;
  problems: string[];
  /** wall time of the agent's process tree (inner proc_timer) */
  agentMs: number;
  /** user+sys CPU of the agent's process tree */
  agentCpuMs: number;
  /** what a user waits for: agent alone, or the whole `deno task capture` command */
  endToEndMs: number;
  /** capture only: from the command's exit until the loader had detached and gone */
  teardownMs: number | null;
  /**
   * capture only: user+sys CPU of the capture's own processes (Deno, loader, watchdog), from the
   * outer timer (capture_cpu.ts); Deno's and the loader's alone (null: not told apart)
   */
  captureCpuMs: number | null;
  denoCpuMs: number | null;
  loaderCpuMs: number | null;
  /**
   * capture only: CPU the outer timer reaped that is neither the capture's nor in the agent's
   * measured tree (the agent's processes left running after it exited)
   */
  otherCpuMs?: number | null;
  /** resident capture only: the client's CPU (`capture --via`; in captureCpuMs) */
  clientCpuMs?: number | null;
  /** capture only, sampled from /proc: peak RSS */
  denoPeakRssKb: number | null;
  loaderPeakRssKb: number | null;
  /** capture only: rows per table, TLS bytes kept, drops per kind, missed program runs */
  rows: Record<string, number> | null;
  tlsBytes: number | null;
  drops: Record<string, number> | null;
  missedRuns: number | null;
  /** from the agent's exec to its first LLM request (start-up, incl. hooking its TLS library) */
  firstRequestMs: number;
  /** from the first LLM request to the last one, per turn */
  perTurnMs: number;
  /** LLM (POST) requests the server answered, and those the recording holds */
  llmRequests: number;
  recordedLlmRequests: number | null;
}

async function readTimer(path: string): Promise<TimerOut> {
  return JSON.parse(await Deno.readTextFile(path));
}

const cpuMs = (t: TimerOut) => (t.user_us + t.sys_us) / 1000;

/** Runs once and measures; never throws for a failed run (ok: false, problems say why). */
export async function measuredRun(spec: RunSpec): Promise<RunMeasure> {
  await Deno.remove(spec.workdir, { recursive: true }).catch(() => {});
  await Deno.mkdir(spec.workdir, { recursive: true });
  await spec.workload.prepare(spec.workdir, spec.size);
  const tag = `${spec.agent}-${spec.workload.name}-${spec.mode}-${Date.now()}`;
  const innerOut = `${spec.scratch}/${tag}.agent.json`;
  const outerOut = `${spec.scratch}/${tag}.capture.json`;
  const recDir = `${spec.scratch}/${tag}.rec`;
  const capture = spec.mode === "capture";
  const wrap = (argv: string[]) => {
    const timed = [spec.timer, innerOut, "--", ...argv];
    if (!capture) return timed;
    return [
      spec.timer,
      "--wait-all",
      outerOut,
      "--",
      ...(spec.resident && spec.viaClient
        ? [
          spec.viaClient,
          "--via",
          "--socket",
          spec.resident.socket,
          "--out",
          recDir,
          "--quiet",
          ...(spec.captureArgs ?? []),
          "--",
          ...timed,
        ]
        : captureCommand(recDir, timed, [
          "--quiet",
          ...(spec.resident ? ["--via", "--socket", spec.resident.socket] : []),
          ...(spec.captureArgs ?? []),
        ], spec.captureMain)),
    ];
  };
  const toIdle = (...pids: number[]) => {
    for (const pid of pids) {
      new Deno.Command("chrt", { args: ["-a", "-i", "-p", "0", String(pid)], stderr: "null" })
        .outputSync();
    }
  };
  const sampler = capture
    ? sampleCapture(recDir, spec.idleCapture ? 20 : 200, spec.idleCapture ? toIdle : undefined)
    : undefined;
  const problems: string[] = [];
  let r;
  let procs;
  const server0 = spec.resident ? serverCpu(spec.resident.pid) : undefined;
  // a kept loader (capture/kept_loader.ts) runs the session: its own CPU, and its reaped
  // children's (the agent's tree and its timer), are counted from its /proc/PID/stat
  const keptPid = spec.resident ? keptLoaderOf(spec.resident.pid) : undefined;
  const kept0 = keptPid ? serverCpu(keptPid) : undefined;
  try {
    r = await runAgent({
      agent: spec.agent,
      transcript: spec.transcript,
      prompt: spec.prompt,
      workdir: spec.workdir,
      wrap,
      env: { DENO_DIR: spec.denoDir },
      timeoutMs: spec.timeoutMs ?? 600_000,
    });
  } finally {
    procs = sampler?.stop();
  }
  if (r.exitCode !== 0) {
    problems.push(`exit ${r.exitCode} (signal ${r.signal}): ${r.stderr.slice(-500).trim()}`);
  }
  if (r.serverErrors.length) problems.push(`server: ${r.serverErrors.join("; ")}`);
  const main = r.requests.filter((q) => q.kind === "main");
  problems.push(
    ...await spec.workload.verify(
      { workdir: spec.workdir, stdout: r.stdout, mainBodies: main.map((q) => q.body) },
      spec.size,
    ),
  );
  const llmRequests = r.requests.filter((q) => q.method === "POST").length;
  const inner = await readTimer(innerOut).catch(() => undefined);
  if (!inner) problems.push("the agent's timer wrote nothing");
  const m: RunMeasure = {
    agent: spec.agent,
    workload: spec.workload.name,
    mode: spec.mode,
    ok: false,
    problems,
    agentMs: inner ? inner.wall_ns / 1e6 : NaN,
    agentCpuMs: inner ? cpuMs(inner) : NaN,
    endToEndMs: inner ? inner.wall_ns / 1e6 : NaN,
    teardownMs: null,
    captureCpuMs: null,
    denoCpuMs: null,
    loaderCpuMs: null,
    otherCpuMs: null,
    denoPeakRssKb: procs?.deno?.peakRssKb ?? null,
    loaderPeakRssKb: procs?.loader?.peakRssKb ?? null,
    rows: null,
    tlsBytes: null,
    drops: null,
    missedRuns: null,
    llmRequests,
    recordedLlmRequests: null,
    firstRequestMs: NaN,
    perTurnMs: NaN,
  };
  const posts = r.requests.filter((q) => q.method === "POST").map((q) => Date.parse(q.time));
  if (inner && posts.length) {
    m.firstRequestMs = posts[0] - inner.start_ms;
    m.perTurnMs = posts.length > 1 ? (posts.at(-1)! - posts[0]) / (posts.length - 1) : NaN;
  }
  if (capture) {
    const outer = await readTimer(outerOut).catch(() => undefined);
    if (!outer) problems.push("the capture's timer wrote nothing");
    if (outer && inner) {
      m.endToEndMs = outer.wall_ns / 1e6;
      m.teardownMs = (outer.all_ns - outer.wall_ns) / 1e6;
      if (spec.resident && server0) {
        // the session's loader is the resident capture's child: its CPU is in the resident
        // capture's children's once it is reaped (the agent's tree and its timer with it)
        const server1 = await serverCpuAfter(spec.resident.pid, keptPid);
        const kept1 = keptPid ? serverCpu(keptPid) : undefined;
        const client = cpuMs(outer);
        const own = server1.selfMs - server0.selfMs;
        const keptMs = kept0 && kept1
          ? kept1.selfMs - kept0.selfMs + kept1.childrenMs - kept0.childrenMs
          : 0;
        const loader = server1.childrenMs - server0.childrenMs + keptMs - cpuMs(inner) -
          (inner.self ? inner.self.cpu_us / 1000 : 0);
        m.captureCpuMs = client + own + loader;
        m.clientCpuMs = client;
        m.denoCpuMs = own;
        m.loaderCpuMs = loader;
        m.otherCpuMs = 0;
      } else {
        const c = captureCpu(outer, inner);
        m.captureCpuMs = c.totalMs;
        m.denoCpuMs = c.denoMs;
        m.loaderCpuMs = c.loaderMs;
        m.otherCpuMs = c.otherMs;
      }
    }
    try {
      const rec = readRecording(recDir);
      const man: Manifest = rec.manifest;
      m.rows = Object.fromEntries(Object.entries(man.tables).map(([k, v]) => [k, v.rows]));
      m.tlsBytes = man.tls_bytes;
      m.drops = man.drops;
      m.missedRuns = man.missed_runs;
      if (!man.complete) problems.push(`recording incomplete: ${man.errors.join("; ")}`);
      const posts = recordedRequests(rec.tls).filter((q) => q.method === "POST").length;
      m.recordedLlmRequests = posts;
      if (posts !== llmRequests) {
        problems.push(
          `the recording holds ${posts} LLM requests, the server answered ${llmRequests}`,
        );
      }
      for (const t of ["process", "file", "net", "tls"]) {
        if (!(m.rows[t] > 0)) problems.push(`no ${t} rows recorded`);
      }
    } catch (e) {
      problems.push(`reading the recording: ${(e as Error).message}`);
    }
    await Deno.remove(recDir, { recursive: true }).catch(() => {});
  }
  await Deno.remove(innerOut).catch(() => {});
  await Deno.remove(outerOut).catch(() => {});
  m.ok = problems.length === 0;
  return m;
}

/** A process's CPU so far from /proc/PID/stat (clock ticks of 10 ms): its own, and that of
 * the children it has reaped. */
function serverCpu(pid: number): { selfMs: number; childrenMs: number } {
  const stat = Deno.readTextFileSync(`/proc/${pid}/stat`);
  const f = stat.slice(stat.lastIndexOf(")") + 2).split(" ").map(Number);
  // fields 14-17 of stat(5) (utime stime cutime cstime): 12-15 after the comm
  const tick = 10;
  return { selfMs: (f[11] + f[12]) * tick, childrenMs: (f[13] + f[14]) * tick };
}

/** The children of `pid` (of all its threads), with their comms. */
function childrenOf(pid: number): { pid: number; comm: string }[] {
  const out: { pid: number; comm: string }[] = [];
  for (const t of Deno.readDirSync(`/proc/${pid}/task`)) {
    const ids = Deno.readTextFileSync(`/proc/${pid}/task/${t.name}/children`).trim();
    for (const c of ids ? ids.split(" ").map(Number) : []) {
      try {
        out.push({ pid: c, comm: Deno.readTextFileSync(`/proc/${c}/comm`).trim() });
      } catch { /* gone */ }
    }
  }
  return out;
}

/** The resident capture's kept loader (a `sightline-loader` child that outlives sessions). */
function keptLoaderOf(server: number): number | undefined {
  return childrenOf(server).find((c) => c.comm.startsWith("sightline-load"))?.pid;
}

/**
 * serverCpu once the resident capture has reaped its session's loader, or, with a kept loader
 * (`kept`), once that has reaped the session's command and ended the session (at most 5 s).
 */
async function serverCpuAfter(
  pid: number,
  kept?: number,
): Promise<{ selfMs: number; childrenMs: number }> {
  const busy = () =>
    childrenOf(pid).some((c) => c.pid !== kept) ||
    (kept !== undefined && (childrenOf(kept).some((c) => !c.comm.startsWith("sightline-watc")) ||
      !idle(kept)));
  for (let i = 0; i < 250 && busy(); i++) await new Promise((r) => setTimeout(r, 20));
  return serverCpu(pid);
}

/** Whether a kept loader waits for its next session, once the session's client has ended:
 * back in epoll_wait (it closes a session's connection, which ends the client, before it
 * detaches the session's probes: from threads of its own, gone once it waits again). */
function idle(pid: number): boolean {
  return [...Deno.readDirSync(`/proc/${pid}/task`)].length === 1 &&
    Deno.readTextFileSync(`/proc/${pid}/wchan`).trim() === "do_epoll_wait";
}
