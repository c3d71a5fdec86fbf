/**
 * The coverage matrix brought up to date (`deno task coverage`, lab/coverage/main.ts): picks
 * each agent's builds (a `--list`, checked against the registry, or an even spread), covers
 * them (coverage.ts: install, locate, capture where asked), merges their rows into the stored
 * matrix (matrix_report.ts) and says what was not located or captured.
 */

import { fileURLToPath } from "node:url";
import { CliError } from "../../kit/cli.ts";
import {
  BUILD_SPECS,
  type CoverageAgent,
  listVersions,
  type PublishedVersion,
  spread,
} from "./builds.ts";
import { runCoverage } from "./coverage.ts";
import { mergeRows, readMatrix, writeMatrix } from "./matrix_report.ts";

const ROOT = fileURLToPath(new URL("../../", import.meta.url));

/** Builds per agent when --versions is not given. */
export const DEFAULT_VERSIONS: Record<CoverageAgent, number> = {
  claude: 20,
  codex: 10,
  opencode: 5,
  gemini: 2,
  qwen: 2,
  copilot: 2,
};

/** What to cover: the command line's options. */
export interface CoverageCli {
  agents: CoverageAgent[];
  versions?: number;
  list?: string[];
  capture: "sample" | "all" | "none";
  out: string;
  scenario: string;
  /** Node releases to run Node agents on (`system`: the machine's node) */
  nodes?: string[];
}

/**
 * Covers the builds asked for, merges their rows into DIR/matrix.json and matrix.md and logs a
 * summary with a line for each build not located or not captured; the exit code: 1 if any, 0
 * if none. `command` is the command line, as the matrix notes it.
 */
export async function run(cli: CoverageCli & { command: string }): Promise<number> {
  if (cli.capture !== "none" && Deno.uid() !== 0) {
    throw new CliError("capturing needs root (eBPF): run as root, or pass --capture none", 2);
  }
  const versions = new Map<CoverageAgent, PublishedVersion[]>();
  for (const agent of cli.agents) {
    // a list may name releases older than the default spread's floor
    const all = await listVersions(
      BUILD_SPECS[agent],
      cli.list ? undefined : BUILD_SPECS[agent].minVersion,
    );
    if (cli.list) {
      const missing = cli.list.filter((x) => !all.some((a) => a.version === x));
      if (missing.length) {
        const spec = BUILD_SPECS[agent];
        throw new CliError(
          `${spec.npmPackage} has no release ${missing.join(", ")} with a Linux x64 build` +
            (spec.platformPackage ? ` (in it or in ${spec.platformPackage})` : ""),
          2,
        );
      }
      versions.set(agent, all.filter((a) => cli.list!.includes(a.version)));
    } else {
      versions.set(agent, spread(all, cli.versions ?? DEFAULT_VERSIONS[agent]));
    }
  }
  const log = (l: string) => console.error(l);
  const rows = await runCoverage({
    agents: cli.agents,
    versions,
    capture: cli.capture,
    scenario: cli.scenario,
    recordingsDir: `${ROOT}recordings/coverage`,
    log,
    nodes: cli.nodes,
  });
  const old = await readMatrix(cli.out);
  await writeMatrix(cli.out, {
    generated: new Date().toISOString(),
    host: Deno.hostname(),
    kernel: Deno.osRelease(),
    command: cli.command,
    rows: mergeRows(old?.rows ?? [], rows),
  });
  const bad = rows.filter((r) => !r.located || r.captured === "no");
  log(
    `coverage: ${rows.length} builds, ${rows.filter((r) => r.located).length} located, ` +
      `${rows.filter((r) => r.captured === "yes").length} captured of ` +
      `${rows.filter((r) => r.captured === "yes" || r.captured === "no").length} run; ` +
      `wrote ${cli.out}/matrix.md and matrix.json`,
  );
  for (const r of bad) {
    log(
      `  ${r.label} ${r.version}${r.node ? ` on Node ${r.node}` : ""}: ` +
        (r.reason ?? r.capture_note ?? "not located"),
    );
  }
  return bad.length ? 1 : 0;
}
