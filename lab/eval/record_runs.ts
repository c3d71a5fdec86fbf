/**
 * The evaluations' recording step, shared by the link evaluation (eval.ts) and the MCP one
 * (mcp_eval.ts): each agent run `runs` times on a scenario under real capture, one directory
 * per run, or given recordings taken as they are. A run that fails is named in `failures`
 * and left out, never scored. scoreRuns then scores each recording's analysed database.
 */
import { join, resolve } from "node:path";
import type { DuckDBConnection } from "@duckdb/node-api";
import { ensureAnalysed, withDb } from "../../analysis/analysed_db.ts";
import { underCapture } from "../agents/under_capture.ts";
import { type AgentName, runAgent } from "../agents/mod.ts";
import type { Scenario } from "../simulator/mod.ts";

export interface RecordRunsOptions {
  agents: AgentName[];
  runs: number;
  /** where recordings go (one directory per run); needed unless `recordings` */
  outDir?: string;
  /** evaluate these recordings instead of running agents */
  recordings?: string[];
  timeoutMs?: number;
  progress?: (line: string) => void;
}

/** The recordings to score, and the runs that failed. `label` starts each progress line. */
export async function recordRuns(
  opts: RecordRunsOptions,
  scenario: Scenario,
  label: string,
): Promise<{ dirs: string[]; failures: string[] }> {
  const progress = opts.progress ?? (() => {});
  const dirs: string[] = [];
  const failures: string[] = [];
  if (opts.recordings?.length) {
    return { dirs: opts.recordings.map((r) => resolve(r)), failures };
  }
  if (!opts.outDir) throw new Error(`${label}: no directory to record the runs into`);
  const outDir = resolve(opts.outDir);
  await Deno.mkdir(outDir, { recursive: true });
  for (let run = 1; run <= opts.runs; run++) {
    for (const agent of opts.agents) {
      const out = join(outDir, `${agent}-${run}`);
      await Deno.remove(out, { recursive: true }).catch(() => {});
      progress(`${label}: ${agent} run ${run}: recording into ${out}`);
      const r = await runAgent({
        agent,
        scenario,
        wrap: underCapture(out),
        timeoutMs: opts.timeoutMs ?? 180_000,
      });
      if (r.exitCode !== 0 || r.serverErrors.length) {
        failures.push(
          `${agent} run ${run}: exit ${r.exitCode ?? r.signal}${
            r.serverErrors.length ? `; server: ${r.serverErrors[0]}` : ""
          }`,
        );
        continue;
      }
      dirs.push(out);
    }
  }
  return { dirs, failures };
}

/**
 * The runs recorded (recordRuns) and each recording's scores: `score` on its analysed database
 * (analysed afresh when the runs were just recorded; given recordings only when not yet).
 */
export async function scoreRuns<S>(
  opts: RecordRunsOptions,
  scenario: Scenario,
  label: string,
  score: (c: DuckDBConnection) => Promise<S[]>,
): Promise<{ scores: S[]; failures: string[] }> {
  const { dirs, failures } = await recordRuns(opts, scenario, label);
  const scores: S[] = [];
  for (const dir of dirs) {
    const db = await ensureAnalysed(dir, { rebuild: !opts.recordings?.length });
    scores.push(...await withDb(db, score));
  }
  return { scores, failures };
}
