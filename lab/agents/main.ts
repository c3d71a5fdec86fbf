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
 * Prints the agent's output and a summary; exits with the agent's exit code, 2 for bad
 * input, 1 for other errors.
 */

import { existsSync } from "node:fs";
import { fileURLToPath } from "node:url";
import {
  newTimestampedDir,
  parseCommand,
  runCommand,
  stopOnSignals,
  usageError,
  userPath,
} from "../../kit/cli.ts";
import {
  checkTransportFlags,
  inputErrorAsUsage,
  loadScenario,
  loadTranscript,
  saveTranscript,
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
import { cloudProblem, PROFILES, runAgent, type RunAgentResult } from "./run_agent.ts";
import { underCapture } from "./under_capture.ts";

export interface AgentCliOptions {
  agent: AgentName;
  scenario: string;
  /** run under capture */
  capture: boolean;
  /** recording into this directory (default: a new one, defaultRecordingName) */
  captureOut?: string;
  workdir?: string;
  http1: boolean;
  /** the server speaks plain HTTP/1.1 (no TLS), as a local model server does */
  plainHttp: boolean;
  transport?: CodexTransport;
  websocketCompression?: WebSocketCompression;
  provider?: CloudProvider;
  prompt?: string;
  replay?: string;
  saveTranscript?: string;
  log?: string;
  timeoutMs: number;
  /** another build's executable, in place of the pinned one */
  binary?: string;
  /** `--sandbox`: the agent's commands in its own sandbox */
  sandbox?: boolean;
}

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
export function parseAgentArgs(args: string[]): AgentCliOptions {
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

/** The default recording's name: `<agent>-<scenario>` (in recordings/<time>-NAME). */
export function defaultRecordingName(agent: string, scenarioPath: string): string {
  return `${agent}-${scenarioPath.split("/").pop()!.replace(/\.json$/, "")}`;
}

/** Runs the agent as the command line says and prints a summary. */
export async function run(opts: AgentCliOptions): Promise<RunAgentResult> {
  const scenario = await loadScenario(opts.scenario);
  const transcript = opts.replay ? await loadTranscript(opts.replay) : undefined;
  const captureOut = opts.capture
    // a recording: 0700, as capture makes its own
    ? opts.captureOut ??
      newTimestampedDir(defaultRecordingName(opts.agent, opts.scenario), undefined, 0o700)
    : undefined;
  const result = await runAgent({
    agent: opts.agent,
    scenario,
    transcript,
    prompt: opts.prompt ?? scenario.prompt,
    workdir: opts.workdir,
    http1: opts.http1,
    plainHttp: opts.plainHttp,
    transport: opts.transport,
    websocketCompression: opts.websocketCompression,
    provider: opts.provider,
    logFile: opts.log,
    timeoutMs: opts.timeoutMs,
    binary: opts.binary,
    sandbox: opts.sandbox,
    wrap: captureOut ? underCapture(captureOut) : undefined,
  });
  if (opts.saveTranscript) {
    await saveTranscript(opts.saveTranscript, result.transcript);
  }
  const out = [
    result.stdout.trimEnd(),
    "---",
    `agent: ${result.agent}, exit ${result.exitCode ?? result.signal}${
      result.timedOut ? " (timed out)" : ""
    }, ${result.timings.agentMs} ms`,
    `workdir: ${result.workdir}`,
    `requests: ${result.requests.length} (${
      result.requests.map((r) => `${r.kind}${r.side ? `:${r.side}` : ""}`).join(
        ", ",
      )
    })`,
    ...result.serverErrors.map((e) => `server problem: ${e}`),
    ...Object.entries(result.remoteMcpProtocols).map(([name, protocols]) =>
      `remote MCP server ${name}: ${protocols.length} connection(s), ALPN ${
        protocols.join(", ") || "-"
      }`
    ),
    ...(opts.saveTranscript ? [`transcript: ${opts.saveTranscript}`] : []),
    ...(captureOut ? [`recording: ${captureOut}`] : []),
  ];
  console.log(out.join("\n"));
  if (result.exitCode !== 0 && result.stderr.trim()) {
    console.error(result.stderr.trimEnd().split("\n").slice(-20).join("\n"));
  }
  return result;
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
