/**
 * The AgentSight case studies, reproduced with the real agents under capture: prompt
 * injection leading to exfiltration (and its benign control), a reasoning loop, and a team of
 * three agents sharing a workspace. Each study records into its own directory, is analysed,
 * and gets its links and findings; `deno task case-studies` runs them all (they become
 * datasets), the tests run them and check the findings against the scripts.
 */
import { join, resolve } from "node:path";
import { fileURLToPath } from "node:url";
import { newTimestampedDir } from "../../kit/cli.ts";
import { underCapture } from "../agents/under_capture.ts";
import { type AgentName, type CodexTransport, runAgent } from "../agents/mod.ts";
import { runTeam } from "../agents/multi_agent.ts";
import { ensureAnalysed, withDb } from "../../analysis/analysed_db.ts";
import { formatFindings } from "../../analysis/detect/format.ts";
import { buildLinksAndFindings, type InsightSettings } from "../../analysis/detect/insights.ts";

const SCENARIOS = fileURLToPath(
  new URL("../scenarios/", import.meta.url),
);
export const scenarioPath = (name: string): string => join(SCENARIOS, `${name}.json`);

export const STUDIES = ["injection", "benign", "loop", "team"] as const;
export type Study = typeof STUDIES[number];

/** The scenario each single-agent study plays. */
export const STUDY_SCENARIO: Record<Exclude<Study, "team">, string> = {
  injection: "sales_injection",
  benign: "sales_benign",
  loop: "loop_failing_command",
};

/** The team's roles, in launch order, and their scenarios. */
export const TEAM_ROLES = [
  { role: "designer", scenario: "team_designer" },
  { role: "implementer", scenario: "team_implementer" },
  { role: "tester", scenario: "team_tester" },
] as const;

/** Which agent plays which role: each agent takes two roles over the two rotations. */
export const TEAM_ROTATIONS: readonly (readonly [AgentName, AgentName, AgentName])[] = [
  ["claude", "gemini", "codex"],
  ["codex", "claude", "gemini"],
];

export interface Recorded {
  study: Study;
  /** the agent, or the team's agents joined with `-` */
  agents: string;
  dir: string;
  /** exit codes (one per agent) */
  exitCodes: (number | null)[];
  /** problems the scripted servers met */
  serverErrors: string[];
  /** the working directory the agents ran in */
  workdir: string;
}

/** How a study is recorded: each agent's time limit, Codex's transport (default its own). */
export interface RecordOptions {
  timeoutMs?: number;
  transport?: CodexTransport;
}

/** Records one single-agent study under capture into `dir` (replaced); 180 s at the most. */
export async function recordStudy(
  study: Exclude<Study, "team">,
  agent: AgentName,
  dir: string,
  { timeoutMs = 180_000, transport }: RecordOptions = {},
): Promise<Recorded> {
  await Deno.remove(dir, { recursive: true }).catch(() => {});
  const r = await runAgent({
    agent,
    scenario: scenarioPath(STUDY_SCENARIO[study]),
    wrap: underCapture(dir),
    timeoutMs,
    transport,
  });
  return {
    study,
    agents: agent,
    dir,
    exitCodes: [r.exitCode],
    serverErrors: r.serverErrors,
    workdir: r.workdir,
  };
}

/** Records the team study with agents in the roles given, all under one capture; 120 s each. */
export async function recordTeam(
  agents: readonly [AgentName, AgentName, AgentName],
  dir: string,
  { timeoutMs = 120_000, transport }: RecordOptions = {},
): Promise<Recorded> {
  await Deno.remove(dir, { recursive: true }).catch(() => {});
  const r = await runTeam({
    members: TEAM_ROLES.map((t, i) => ({
      name: t.role,
      agent: agents[i],
      scenario: scenarioPath(t.scenario),
      transport,
    })),
    wrap: underCapture(dir),
    timeoutMs,
  });
  return {
    study: "team",
    agents: agents.join("-"),
    dir,
    exitCodes: r.members.map((m) => m.exitCode),
    serverErrors: r.members.flatMap((m) => m.serverErrors.map((e) => `${m.name}: ${e}`)),
    workdir: r.workdir,
  };
}

/** Analyses a recording (rebuilding analysis.duckdb) and builds its links and findings. */
export async function analyseStudy(
  dir: string,
  settings: InsightSettings = {},
): Promise<string> {
  const db = await ensureAnalysed(dir, { rebuild: true });
  await withDb(db, (c) => buildLinksAndFindings(c, settings));
  return db;
}

export interface CaseStudyOptions {
  studies: Study[];
  agents: AgentName[];
  /** --out; none: a new recordings/<time>-case-studies (kit/cli.ts newTimestampedDir) */
  outDir?: string;
  progress?: (line: string) => void;
}

/** Records and analyses the studies; returns what was recorded, with each summary. */
export async function runCaseStudies(
  opts: CaseStudyOptions,
): Promise<(Recorded & { summary: string })[]> {
  const progress = opts.progress ?? (() => {});
  const out: (Recorded & { summary: string })[] = [];
  const outDir = resolve(opts.outDir ?? newTimestampedDir("case-studies"));
  await Deno.mkdir(outDir, { recursive: true });
  const jobs: (() => Promise<Recorded>)[] = [];
  for (const study of opts.studies) {
    if (study === "team") {
      for (const rot of TEAM_ROTATIONS) {
        if (!rot.every((a) => opts.agents.includes(a))) continue;
        jobs.push(() => recordTeam(rot, join(outDir, `team-${rot.join("-")}`)));
      }
    } else {
      for (const agent of opts.agents) {
        jobs.push(() => recordStudy(study, agent, join(outDir, `${study}-${agent}`)));
      }
    }
  }
  for (const job of jobs) {
    const rec = await job();
    progress(`case-studies: ${rec.study} ${rec.agents}: recorded ${rec.dir}`);
    const db = await analyseStudy(rec.dir);
    const name = rec.dir.split("/").pop()!;
    const summary = await withDb(db, (c) => formatFindings(c, name), {
      readOnly: true,
    });
    out.push({ ...rec, summary });
  }
  return out;
}
