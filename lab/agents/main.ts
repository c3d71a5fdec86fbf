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
 * Parses the arguments and runs run_and_report.ts, which prints the agent's output and a
 * summary; exits with the agent's exit code, 2 for bad input, 1 for other errors.
 */

import { existsSync } from "node:fs";
import { fileURLToPath } from "node:url";
import { parseCommand, runCommand, stopOnSignals, usageError, userPath } from "../../kit/cli.ts";
import {
  checkTransportFlags,
  inputErrorAsUsage,
  WEBSOCKET_COMPRESSIONS,
  type WebSocketCompression,
} from "../simulator/mod.ts";
import {
  AGENT_NAMES,
  type AgentName,
  CLOUD_PROVIDERS,
  type CloudProvider,
  type CodexTransport,
} from "./agent_profile.ts";
import { cloudProblem, PROFILES } from "./run_agent.ts";
import { type AgentRunOptions, run } from "./run_and_report.ts";

export const USAGE =
  "usage: deno task agent -- claude|gemini|codex|opencode|qwen SCENARIO [--capture [--out DIR]] " +
  "[--workdir DIR] " +
  "[--http1 | --plain-http] [--transport websocket|http] [--ws-compression context-takeover|no-context-takeover|off] " +
  "[--provider direct|bedrock|vertex|azure] [--prompt TEXT] [--replay TRANSCRIPT] [--save-transcript FILE] [--log FILE] " +
  "[--timeout SECONDS] [--binary FILE] [--sandbox]";

const SCENARIOS_DIR = fileURLToPath(
  new URL("../scenarios/", import.meta.url),
);

/** A scenario argument: a path, or a name of a file in lab/scenarios/. */
export function resolveScenarioPath(arg: string): string {
  if (existsSync(userPath(arg))) return userPath(arg);
  for (
    const candidate of [`${SCENARIOS_DIR}${arg}`, `${SCENARIOS_DIR}${arg}.json`]
  ) {
    if (existsSync(candidate)) return candidate;
  }
  throw usageError(
    `scenario ${JSON.stringify(arg)}: no such file, nor in lab/scenarios/`,
  );
}

/** Parses the command line. */
export function parseAgentArgs(args: string[]): AgentRunOptions {
  const parsed = parseCommand(args, {
    workdir: { type: "string" },
    capture: { type: "boolean", default: false },
    out: { type: "string" },
    http1: { type: "boolean", default: false },
    "plain-http": { type: "boolean", default: false },
    transport: { type: "string" },
    "ws-compression": { type: "string" },
    provider: { type: "string" },
    prompt: { type: "string" },
    replay: { type: "string" },
    "save-transcript": { type: "string" },
    log: { type: "string" },
    timeout: { type: "string", default: "120" },
    binary: { type: "string" },
    sandbox: { type: "boolean", default: false },
  });
  const [agent, scenario, ...extra] = parsed.positionals;
  if (agent === undefined) {
    throw usageError(`missing the agent: ${AGENT_NAMES.join(", ")}`);
  }
  if (!(AGENT_NAMES as readonly string[]).includes(agent)) {
    throw usageError(
      `unknown agent ${JSON.stringify(agent)}: use ${AGENT_NAMES.join(", ")}`,
    );
  }
  if (scenario === undefined) throw usageError("missing the scenario file");
  if (extra.length > 0) {
    throw usageError(`unexpected argument ${JSON.stringify(extra[0])}`);
  }
  const timeout = Number(parsed.values.timeout);
  if (!(timeout > 0)) {
    throw usageError(
      `--timeout: expected seconds > 0, got ${parsed.values.timeout}`,
    );
  }
  if (parsed.values.out && !parsed.values.capture) {
    throw usageError("--out only makes sense with --capture");
  }
  const transport = parsed.values.transport;
  if (
    transport !== undefined && transport !== "websocket" && transport !== "http"
  ) {
    throw usageError(
      `--transport: expected websocket or http, got ${transport}`,
    );
  }
  const wsc = parsed.values["ws-compression"];
  if (
    wsc !== undefined &&
    !(WEBSOCKET_COMPRESSIONS as readonly string[]).includes(wsc)
  ) {
    throw usageError(
      `--ws-compression: expected ${WEBSOCKET_COMPRESSIONS.join(", ")}, got ${wsc}`,
    );
  }
  const provider = parsed.values.provider;
  if (
    provider !== undefined &&
    !(CLOUD_PROVIDERS as readonly string[]).includes(provider)
  ) {
    throw usageError(
      `--provider: expected ${CLOUD_PROVIDERS.join(", ")}, got ${provider}`,
    );
  }
  if (provider !== undefined) {
    const problem = cloudProblem(agent as AgentName, provider as CloudProvider);
    if (problem) throw usageError(`--provider: ${problem}`);
  }
  checkTransportFlags(parsed.values.http1, parsed.values["plain-http"]);
  if (parsed.values.sandbox && !PROFILES[agent as AgentName].sandboxes) {
    throw usageError(`--sandbox: ${agent} has no sandbox to turn on (codex and claude do)`);
  }
  const scenarioPath = resolveScenarioPath(scenario);
  const binary = parsed.values.binary && userPath(parsed.values.binary);
  if (binary !== undefined && !existsSync(binary)) {
    throw usageError(`--binary: ${binary}: no such file`);
  }
  return {
    agent: agent as AgentName,
    scenario: scenarioPath,
    capture: parsed.values.capture ?? false,
    captureOut: parsed.values.out ? userPath(parsed.values.out) : undefined,
    workdir: parsed.values.workdir && userPath(parsed.values.workdir),
    http1: parsed.values.http1,
    plainHttp: parsed.values["plain-http"],
    transport: transport as CodexTransport | undefined,
    websocketCompression: wsc as WebSocketCompression | undefined,
    provider: provider as CloudProvider | undefined,
    prompt: parsed.values.prompt,
    replay: parsed.values.replay && userPath(parsed.values.replay),
    saveTranscript: parsed.values["save-transcript"] &&
      userPath(parsed.values["save-transcript"]),
    log: parsed.values.log && userPath(parsed.values.log),
    timeoutMs: timeout * 1000,
    ...(binary ? { binary } : {}),
    ...(parsed.values.sandbox ? { sandbox: true } : {}),
  };
}

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
