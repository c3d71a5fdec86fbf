/**
 * The command line of `deno task coverage` (lab/coverage/main.ts) read into update_matrix.ts's
 * options: the agents (default all of builds.ts), `--versions N` or `--list` (one agent), the
 * Node releases to run node builds on, what to capture, and where to write. Each bad input is
 * a usage error of one line (exit 2).
 */
import { fileURLToPath } from "node:url";
import { intOption, listOption, parseCommand, usageError } from "../../kit/cli.ts";
import { BUILD_SPECS, type CoverageAgent } from "./builds.ts";
import type { CoverageCli } from "./update_matrix.ts";

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

export const USAGE =
  "usage: deno task coverage [--agent claude,codex,opencode,gemini,qwen,copilot] " +
  "[--versions N | --list V1,V2,...] [--capture sample|all|none] [--out DIR] [--node system,V1,...] " +
  "[--scenario FILE]";
