/**
 * Where a case-study notebook finds its recording: the environment variable named for the
 * study (`SIGHTLINE_CASE_INJECTION`, `SIGHTLINE_CASE_LOOP`, `SIGHTLINE_CASE_TEAM`), else the
 * first recording under `datasets/` whose directory is named `<study>-...` (as `deno task
 * case-studies` names them: `injection-claude`, `loop-gemini`, `team-claude-gemini-codex`).
 * Without one, a notebook fails at once with a message saying how to give it one.
 */
import { existsSync, readdirSync, statSync } from "node:fs";
import { join, resolve } from "node:path";
import { fileURLToPath } from "node:url";

export const CASE_STUDIES = ["injection", "loop", "team"] as const;
export type CaseStudy = typeof CASE_STUDIES[number];

export const DATASETS = fileURLToPath(new URL("../datasets/", import.meta.url));

/** The environment variable that names a study's recording. */
export const envVarOf = (study: CaseStudy): string => `SIGHTLINE_CASE_${study.toUpperCase()}`;

export class MissingInput extends Error {}

const isRecording = (dir: string) => existsSync(join(dir, "manifest.json"));

/** Recordings under `root` (three levels deep at most) whose directory is `<study>-...`. */
export function datasetRecordings(study: CaseStudy, root = DATASETS): string[] {
  const found: string[] = [];
  const walk = (dir: string, depth: number) => {
    let names: string[];
    try {
      names = readdirSync(dir).sort();
    } catch {
      return;
    }
    for (const name of names) {
      const path = join(dir, name);
      try {
        if (!statSync(path).isDirectory()) continue;
      } catch {
        continue;
      }
      if (name.startsWith(`${study}-`) && isRecording(path)) found.push(path);
      else if (depth < 3) walk(path, depth + 1);
    }
  };
  walk(root, 1);
  return found;
}

/** The recording of a study, or a MissingInput error saying how to give one. */
export function caseRecording(
  study: CaseStudy,
  env: (name: string) => string | undefined = (n) => Deno.env.get(n),
  root = DATASETS,
): string {
  const name = envVarOf(study);
  const given = env(name);
  if (given) {
    const dir = resolve(given);
    if (!isRecording(dir)) {
      throw new MissingInput(`${name}=${given}: not a recording (no manifest.json there)`);
    }
    return dir;
  }
  const found = datasetRecordings(study, root);
  if (found.length) return found[0];
  throw new MissingInput(
    `no recording for the ${study} case study: set ${name}=DIR to a recording (make one as ` +
      `root with: deno task case-studies -- --studies ${study} --out DIR), or add one to ` +
      `datasets/ as a directory named ${study}-AGENT`,
  );
}

/** Whether a study has a recording to run on (for the notebook tests). */
export function hasCaseInput(study: CaseStudy): boolean {
  try {
    caseRecording(study);
    return true;
  } catch {
    return false;
  }
}
