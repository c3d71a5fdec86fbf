/**
 * The three developer workflows of the overhead benchmark (the seed paper's Table 1):
 * understand a repository, write code, compile a repository. Each names its scenario in
 * lab/scenarios/, prepares the working directory (the generated C project) and checks, after
 * a run, that the agent's side effects happened.
 */
import { existsSync } from "node:fs";
import { fileURLToPath } from "node:url";
import { cRepoFiles, type CRepoOptions, writeCRepo } from "./c_repo.ts";

export type WorkloadName = "understand" | "write" | "compile";
export const WORKLOAD_NAMES: readonly WorkloadName[] = ["understand", "write", "compile"];

/** What the benchmark runs on: the repository's size, and parallelism of make. */
export interface BenchSize {
  name: "quick" | "full";
  repo: CRepoOptions;
}

export const SIZES: Readonly<Record<"quick" | "full", BenchSize>> = {
  quick: { name: "quick", repo: { modules: 12, functionsPerModule: 4 } },
  full: { name: "full", repo: { modules: 60, functionsPerModule: 10 } },
};

/** What a run leaves behind that `verify` looks at. */
export interface RunOutcome {
  workdir: string;
  stdout: string;
  /** bodies of the main requests the server got, in order */
  mainBodies: unknown[];
}

export interface Workload {
  name: WorkloadName;
  /** what it stands for in the paper's table */
  title: string;
  scenario: string;
  /** Fills an empty working directory. */
  prepare(workdir: string, size: BenchSize): Promise<void>;
  /** Problems with the run's side effects (empty when all is well). */
  verify(out: RunOutcome, size: BenchSize): Promise<string[]>;
}

const SCENARIOS = fileURLToPath(new URL("../../lab/scenarios/", import.meta.url));

const WRITE_FILES = 24;
const WRITE_EDITS = 12;

export const WORKLOADS: Readonly<Record<WorkloadName, Workload>> = {
  understand: {
    name: "understand",
    title: "Understand repo",
    scenario: `${SCENARIOS}bench_understand.json`,
    prepare: (dir, size) => writeCRepo(dir, size.repo),
    verify(out, size) {
      const problems: string[] = [];
      const last = JSON.stringify(out.mainBodies.at(-1) ?? "");
      // the last request carries every file the agent read: the last module and main.c
      if (!last.includes(`mod${size.repo.modules}_run`)) {
        problems.push(`the last request lacks src/mod${size.repo.modules}.c`);
      }
      if (!last.includes("checksum %016")) problems.push("the last request lacks src/main.c");
      const want = size.repo.modules + 5; // ls, README, Makefile, modules, main.c, answer
      if (out.mainBodies.length !== want) {
        problems.push(`${out.mainBodies.length} LLM requests, expected ${want}`);
      }
      return Promise.resolve(problems);
    },
  },
  write: {
    name: "write",
    title: "Code writing",
    scenario: `${SCENARIOS}bench_write.json`,
    prepare: (dir, size) => writeCRepo(dir, size.repo),
    async verify(out) {
      const problems: string[] = [];
      for (let i = 1; i <= WRITE_FILES; i++) {
        const p = `${out.workdir}/util/util${i}.c`;
        const text = await Deno.readTextFile(p).catch(() => "");
        if (!text.includes(`uint64_t util${i}_mix(`)) problems.push(`util/util${i}.c missing`);
      }
      if (!existsSync(`${out.workdir}/util/util.h`)) problems.push("util/util.h missing");
      for (let i = 1; i <= WRITE_EDITS; i++) {
        const text = await Deno.readTextFile(`${out.workdir}/src/mod${i}.c`).catch(() => "");
        if (!text.startsWith(`/* reviewed: mod${i}.c`)) problems.push(`src/mod${i}.c not edited`);
      }
      const want = 1 + WRITE_FILES + 1 + WRITE_EDITS + 1 + 1;
      if (out.mainBodies.length !== want) {
        problems.push(`${out.mainBodies.length} LLM requests, expected ${want}`);
      }
      return problems;
    },
  },
  compile: {
    name: "compile",
    title: "Repo compilation",
    scenario: `${SCENARIOS}bench_compile.json`,
    prepare: (dir, size) => writeCRepo(dir, size.repo),
    verify(out, size) {
      const problems: string[] = [];
      if (!existsSync(`${out.workdir}/app`)) problems.push("./app was not built");
      const objs = Object.keys(cRepoFiles(size.repo)).filter((f) => f.endsWith(".c"))
        .map((f) => f.replace(/^src\//, "build/").replace(/\.c$/, ".o"));
      const missing = [];
      for (const o of objs) if (!existsSync(`${out.workdir}/${o}`)) missing.push(o);
      if (missing.length) problems.push(`objects not built: ${missing.slice(0, 5).join(", ")}`);
      const last = JSON.stringify(out.mainBodies.at(-1) ?? "");
      if (!/checksum [0-9a-f]{16}/.test(last)) problems.push("no checksum reached the model");
      return Promise.resolve(problems);
    },
  },
};
