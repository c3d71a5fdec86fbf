/**
 * The agent runner's command line (`deno task agent`, lab/agents/main.ts) read into the options
 * of run_and_report.ts: the agent and scenario (a file, or a name in lab/scenarios/), and every
 * option checked against the agent it is given for. Each bad input is a usage error of one
 * line (exit 2).
 */
import { existsSync } from "node:fs";
import { fileURLToPath } from "node:url";
import { choiceOption, parseCommand, usageError, userNewPath, userPath } from "../../kit/cli.ts";
import { checkTransportFlags, WEBSOCKET_COMPRESSIONS } from "../simulator/mod.ts";
import { AGENT_NAMES, type AgentName, CLOUD_PROVIDERS } from "./agent_profile.ts";
import { cloudProblem, PROFILES } from "./run_agent.ts";
import type { AgentRunOptions } from "./run_and_report.ts";

export const USAGE =
  "usage: deno task agent -- claude|gemini|codex|opencode|qwen SCENARIO [--capture [--out DIR]] " +
  "[--workdir DIR] " +
  "[--http1 | --plain-http] [--transport websocket|http] [--ws-compression context-takeover|no-context-takeover|off] " +
  "[--provider direct|bedrock|vertex|azure] [--prompt TEXT] [--replay TRANSCRIPT] [--save-transcript FILE] [--log FILE] " +
  "[--timeout SECONDS] [--binary FILE] [--sandbox]";

const SCENARIOS_DIR = fileURLToPath(new URL("../scenarios/", import.meta.url));

/** A scenario argument: a path, or a name of a file in lab/scenarios/. */
export function resolveScenarioPath(arg: string): string {
  if (existsSync(userPath(arg))) return userPath(arg);
  for (const candidate of [`${SCENARIOS_DIR}${arg}`, `${SCENARIOS_DIR}${arg}.json`]) {
    if (existsSync(candidate)) return candidate;
  }
  throw usageError(`scenario ${JSON.stringify(arg)}: no such file, nor in lab/scenarios/`);
}

/** The agent named first on the command line, or a usage error saying which there are. */
function agentArg(agent: string | undefined): AgentName {
  if (agent === undefined) throw usageError(`missing the agent: ${AGENT_NAMES.join(", ")}`);
  if (!(AGENT_NAMES as readonly string[]).includes(agent)) {
    throw usageError(`unknown agent ${JSON.stringify(agent)}: use ${AGENT_NAMES.join(", ")}`);
  }
  return agent as AgentName;
}

/** Parses the command line. */
export function parseAgentArgs(args: string[]): AgentRunOptions {
  const { values: v, positionals } = parseCommand(args, {
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
  const [first, scenario, ...extra] = positionals;
  const agent = agentArg(first);
  if (scenario === undefined) throw usageError("missing the scenario file");
  if (extra.length > 0) throw usageError(`unexpected argument ${JSON.stringify(extra[0])}`);
  const timeout = Number(v.timeout);
  if (!(timeout > 0)) throw usageError(`--timeout: expected seconds > 0, got ${v.timeout}`);
  if (v.out && !v.capture) throw usageError("--out only makes sense with --capture");
  const transport = choiceOption("transport", v.transport, ["websocket", "http"] as const);
  const wsc = choiceOption("ws-compression", v["ws-compression"], WEBSOCKET_COMPRESSIONS);
  const provider = choiceOption("provider", v.provider, CLOUD_PROVIDERS);
  const cloud = provider && cloudProblem(agent, provider);
  if (cloud) throw usageError(`--provider: ${cloud}`);
  checkTransportFlags(v.http1, v["plain-http"]);
  if (v.sandbox && !PROFILES[agent].sandboxes) {
    throw usageError(`--sandbox: ${agent} has no sandbox to turn on (codex and claude do)`);
  }
  const scenarioPath = resolveScenarioPath(scenario);
  const binary = v.binary && userPath(v.binary);
  if (binary !== undefined && !existsSync(binary)) {
    throw usageError(`--binary: ${binary}: no such file`);
  }
  const path = (p: string | undefined) => p && userPath(p);
  return {
    agent,
    scenario: scenarioPath,
    capture: v.capture ?? false,
    captureOut: v.out ? userNewPath(v.out) : undefined,
    workdir: path(v.workdir),
    http1: v.http1,
    plainHttp: v["plain-http"],
    transport,
    websocketCompression: wsc,
    provider,
    prompt: v.prompt,
    replay: path(v.replay),
    saveTranscript: path(v["save-transcript"]),
    log: path(v.log),
    timeoutMs: timeout * 1000,
    ...(binary ? { binary } : {}),
    ...(v.sandbox ? { sandbox: true } : {}),
  };
}
