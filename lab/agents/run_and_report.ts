/**
 * An agent run as `deno task agent` makes it (lab/agents/main.ts): loads the scenario (and the
 * transcript to replay), runs the agent against the scripted model server (run_agent.ts),
 * under capture into a new 0700 recording directory when asked, saves the transcript if asked,
 * and prints the agent's output and a summary (exit, workdir, requests, server problems, remote
 * MCP connections, the transcript and recording written), then the tail of its stderr when it
 * failed.
 */

import { newTimestampedDir } from "../../kit/cli.ts";
import {
  checkTranscriptPath,
  loadScenario,
  loadTranscript,
  saveTranscript,
  type WebSocketCompression,
} from "../simulator/mod.ts";
import type { AgentName, CloudProvider, CodexTransport } from "./agent_profile.ts";
import { runAgent, type RunAgentResult } from "./run_agent.ts";
import { underCapture } from "./under_capture.ts";

/** Which agent to run on what, and how (the command line's options, paths absolute). */
export interface AgentRunOptions {
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

/** The default recording's name: `<agent>-<scenario>` (in recordings/<time>-NAME). */
export function defaultRecordingName(agent: string, scenarioPath: string): string {
  return `${agent}-${scenarioPath.split("/").pop()!.replace(/\.json$/, "")}`;
}

/** Runs the agent as the command line says and prints a summary. */
export async function run(opts: AgentRunOptions): Promise<RunAgentResult> {
  // before the session, not after it: its transcript would be lost
  if (opts.saveTranscript) checkTranscriptPath(opts.saveTranscript);
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
