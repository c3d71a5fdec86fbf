/**
 * Command line for the agent runner:
 *
 *   deno task agent -- claude|gemini|codex|opencode|qwen SCENARIO [--capture [--out DIR]] [--workdir DIR]
 *       [--http1 | --plain-http] [--transport websocket|http] [--ws-compression MODE]
 *       [--provider direct|bedrock|vertex|azure] [--prompt TEXT]
 *       [--replay TRANSCRIPT] [--save-transcript FILE] [--log FILE] [--timeout SECONDS]
 *       [--binary FILE] [--sandbox]
 *
 * SCENARIO is a scenario file, or a name in lab/scenarios/ (e.g. `tool_marker`). With
 * `--replay`, the transcript is served instead and SCENARIO only supplies files, pages and prompt.
 * With `--capture` the agent runs under `deno task capture` (root) and the recording is left
 * in --out (default recordings/<time>-<agent>-<scenario>). `--transport` is Codex's (default
 * websocket); `--ws-compression` how the server answers its offer of permessage-deflate
 * (context-takeover, no-context-takeover or off; default context-takeover). `--provider` puts
 * the agent's model API on a cloud: Claude Code on bedrock or vertex, Codex on azure.
 * `--binary` runs another build of the agent than the pinned one (its executable or launcher,
 * e.g. one `deno task coverage` installed in .cache/agents/; a Node agent's launcher runs on
 * the first `node` on PATH). `--sandbox` runs the agent's commands in its own sandbox, as its
 * users do (Codex `--sandbox workspace-write`, Claude Code's `sandbox.enabled`; both use
 * bubblewrap), instead of bypassing it.
 * Parses the arguments (agent_args.ts) and runs run_and_report.ts, which prints the agent's
 * output and a summary; exits with the agent's exit code, 2 for bad input, 1 for other errors.
 */
import { runCommand, stopOnSignals } from "../../kit/cli.ts";
import { inputErrorAsUsage } from "../simulator/mod.ts";
import { parseAgentArgs, USAGE } from "./agent_args.ts";
import { run } from "./run_and_report.ts";

if (import.meta.main) {
  stopOnSignals("agent");
  await runCommand("agent", USAGE, async (args) => {
    try {
      return (await run(parseAgentArgs(args))).exitCode ?? 1;
    } catch (e) {
      throw inputErrorAsUsage(e);
    }
  });
}
