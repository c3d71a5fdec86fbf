/**
 * `deno task case-studies [-- --studies injection,benign,loop,team] [--agents
 * claude,gemini,codex] [--out DIR]`: records the AgentSight case studies with the real agents
 * under capture (root), analyses them and prints their findings. Each study goes to its own
 * directory under --out (default a new recordings/<time>-case-studies), ready to become a dataset.
 * Exit code: 0 when every recording ran to the end, 1 otherwise, 2 for bad usage.
 */
import {
  listOption,
  outDirOption,
  parseCommand,
  runCommand,
  stopOnSignals,
} from "../../kit/cli.ts";
import { AGENT_NAMES } from "../agents/mod.ts";
import { type CaseStudyOptions, runCaseStudies, STUDIES } from "./case_studies.ts";

export function parseCaseStudyArgs(args: string[]): CaseStudyOptions {
  const p = parseCommand(args, {
    studies: { type: "string", default: STUDIES.join(",") },
    agents: { type: "string", default: AGENT_NAMES.join(",") },
    out: { type: "string" },
  }, { positionals: false });
  return {
    studies: listOption("studies", p.values.studies, STUDIES, "study"),
    agents: listOption("agents", p.values.agents, AGENT_NAMES, "agent"),
    outDir: outDirOption(p.values.out),
  };
}

export async function run(o: CaseStudyOptions): Promise<number> {
  const done = await runCaseStudies({ ...o, progress: (l) => console.error(l) });
  let ok = true;
  for (const r of done) {
    const bad = r.exitCodes.some((c) => c !== 0) || r.serverErrors.length > 0;
    if (bad) ok = false;
    console.log(
      `${r.study} ${r.agents}: ${r.dir}${
        bad
          ? ` (exit ${r.exitCodes.join(",")}` +
            `${r.serverErrors.length ? `; ${r.serverErrors[0]}` : ""})`
          : ""
      }`,
    );
    console.log(r.summary.trimEnd());
  }
  return ok ? 0 : 1;
}

const USAGE = "usage: deno task case-studies [--studies injection,benign,loop,team] " +
  "[--agents claude,gemini,codex] [--out DIR]";

if (import.meta.main) {
  stopOnSignals("case-studies");
  await runCommand("case-studies", USAGE, async (args) => await run(parseCaseStudyArgs(args)));
}
