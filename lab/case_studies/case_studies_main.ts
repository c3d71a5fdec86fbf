/**
 * `deno task case-studies [-- --studies injection,benign,loop,team] [--agents
 * claude,gemini,codex] [--out DIR]`: records the AgentSight case studies with the real agents
 * under capture (root), analyses them and prints their findings. Each study goes to its own
 * directory under --out (default recordings/case-studies-<time>), ready to become a dataset.
 * Exit code: 0 when every recording ran to the end, 1 otherwise, 2 for bad usage.
 */
import { join } from "node:path";
import { fileURLToPath } from "node:url";
import { parseArgs } from "node:util";
import { AGENT_NAMES, type AgentName } from "../agents/mod.ts";
import { type CaseStudyOptions, runCaseStudies, STUDIES, type Study } from "./case_studies.ts";

class UsageError extends Error {}

const ROOT = fileURLToPath(new URL("../../", import.meta.url));

export function parseCaseStudyArgs(args: string[]): CaseStudyOptions {
  if (args[0] === "--") args = args.slice(1);
  let p;
  try {
    p = parseArgs({
      args,
      options: {
        studies: { type: "string", default: STUDIES.join(",") },
        agents: { type: "string", default: AGENT_NAMES.join(",") },
        out: { type: "string" },
      },
      strict: true,
    });
  } catch (e) {
    throw new UsageError((e as Error).message.split("\n")[0]);
  }
  const list = (s: string) => s.split(",").map((x) => x.trim()).filter(Boolean);
  const studies = list(p.values.studies);
  for (const s of studies) {
    if (!(STUDIES as readonly string[]).includes(s)) {
      throw new UsageError(`--studies: unknown study ${JSON.stringify(s)} (${STUDIES.join(", ")})`);
    }
  }
  const agents = list(p.values.agents);
  for (const a of agents) {
    if (!(AGENT_NAMES as readonly string[]).includes(a)) {
      throw new UsageError(`--agents: unknown agent ${JSON.stringify(a)}`);
    }
  }
  const stamp = new Date().toISOString().replace(/[-:]/g, "").replace("T", "-").slice(0, 15);
  return {
    studies: studies as Study[],
    agents: agents as AgentName[],
    outDir: p.values.out ?? join(ROOT, "recordings", `case-studies-${stamp}`),
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

if (import.meta.main) {
  try {
    Deno.exit(await run(parseCaseStudyArgs(Deno.args)));
  } catch (e) {
    console.error(`case-studies: ${(e as Error).message.split("\n")[0]}`);
    Deno.exit(e instanceof UsageError ? 2 : 1);
  }
}
