/**
 * One recorded session per agent, workload and size: a scripted run of the workload's scenario
 * in the benchmark's fixed working directory, checked like a measured run, whose transcript
 * every measured run then replays (so all runs get the same answers, offline). Kept in
 * .cache/bench/transcripts/, keyed by a hash of the scenario, the repository size, the working
 * directory, the agents' pinned versions and Codex's transport (its default, Responses over
 * WebSocket, whose turns replay over the same transport), so a changed input records anew.
 * A cell replays it with a model timing (`timedTranscript`): realistic pauses, or none.
 */
import { createHash } from "node:crypto";
import { type AgentName, DEFAULT_CODEX_TRANSPORT } from "../../lab/agents/agent_profile.ts";
import { runAgent } from "../../lab/agents/run_agent.ts";
import { basename } from "node:path";
import {
  loadTranscript,
  REALISTIC_TIMING,
  saveTranscript,
  timeTranscript,
  timingSummary,
  type Transcript,
} from "../../lab/simulator/mod.ts";
import { BENCH_CACHE } from "../c_tool.ts";
import { median } from "./stats.ts";
import type { BenchSize, Workload } from "./workloads.ts";

const AGENTS_LOCK = new URL("../../lab/agents/package-lock.json", import.meta.url);

async function transcriptKey(
  agent: AgentName,
  w: Workload,
  size: BenchSize,
  workdir: string,
): Promise<string> {
  const h = createHash("sha256");
  h.update(workdir); // the recorded tool calls name absolute paths in it
  h.update(await Deno.readFile(w.scenario));
  h.update(JSON.stringify(size.repo));
  h.update(await Deno.readFile(AGENTS_LOCK).catch(() => new Uint8Array()));
  if (agent === "codex") h.update(`transport ${DEFAULT_CODEX_TRANSPORT}`);
  return `${agent}-${w.name}-${size.name}-${h.digest("hex").slice(0, 12)}`;
}

/** Returns the transcript's path, recording it first if there is none yet. */
export async function ensureTranscript(
  agent: AgentName,
  w: Workload,
  size: BenchSize,
  workdir: string,
  log: (line: string) => void,
): Promise<string> {
  const dir = `${BENCH_CACHE}transcripts`;
  const path = `${dir}/${await transcriptKey(agent, w, size, workdir)}.json`;
  try {
    await Deno.stat(path);
    return path;
  } catch { /* record it */ }
  await Deno.mkdir(dir, { recursive: true });
  await Deno.remove(workdir, { recursive: true }).catch(() => {});
  await Deno.mkdir(workdir, { recursive: true });
  await w.prepare(workdir, size);
  const r = await runAgent({ agent, scenario: w.scenario, workdir, timeoutMs: 600_000 });
  const main = r.requests.filter((q) => q.kind === "main");
  const problems = [
    ...(r.exitCode === 0 ? [] : [`exit ${r.exitCode}: ${r.stderr.slice(-500).trim()}`]),
    ...r.serverErrors,
    ...await w.verify(
      { workdir, stdout: r.stdout, mainBodies: main.map((q) => q.body) },
      size,
    ),
  ];
  if (problems.length) {
    throw new Error(`recording ${agent}/${w.name}: ${problems.join("; ")}`);
  }
  await saveTranscript(path, r.transcript);
  log(
    `recorded ${agent}/${w.name} (${size.name}): ${main.length} model turns, ` +
      `${(r.timings.agentMs / 1000).toFixed(1)} s`,
  );
  return path;
}

/** How the model's answers are timed in a cell: as a real model would, or at once (stress). */
export type TimingMode = "realistic" | "zero";
export const TIMING_MODES: readonly TimingMode[] = ["realistic", "zero"];

export interface TimedTranscript {
  path: string;
  /** where the pauses come from: the transcript's own timing, a profile, or none */
  source: string;
  /** the model's time in all (sum of the pauses), ms */
  modelMs: number;
  /** model calls with pauses, and their median time to first token */
  calls: number;
  medianTtftMs: number;
}

/**
 * The transcript a cell replays, written to `dir`: for "realistic", the recorded one with its
 * own timing when it has one, else timed by the realistic profile with `seed`; for "zero",
 * without any pauses.
 */
export async function timedTranscript(
  path: string,
  mode: TimingMode,
  seed: number,
  dir: string,
): Promise<TimedTranscript> {
  const t = await loadTranscript(path);
  const hasOwn = t.timing !== undefined && t.exchanges.some((e) => e.delaysMs?.length);
  let out: Transcript;
  let source: string;
  if (mode === "zero") {
    out = {
      ...t,
      timing: undefined,
      exchanges: t.exchanges.map(({ delaysMs: _none, ...e }) => e),
    };
    source = "zero latency: every answer sent at once (stress case)";
  } else if (hasOwn) {
    out = t;
    source = `the transcript's own timing: ${t.timing}`;
  } else {
    out = timeTranscript(t, REALISTIC_TIMING, seed);
    source = `recorded transcript (zero latency) timed by profile ${out.timing}`;
  }
  const s = timingSummary(out);
  const file = `${dir}/${basename(path, ".json")}.${mode}-${seed}.json`;
  await saveTranscript(file, out);
  return {
    path: file,
    source,
    modelMs: s.totalMs,
    calls: s.calls,
    medianTtftMs: s.ttftMs.length ? median(s.ttftMs) : 0,
  };
}
