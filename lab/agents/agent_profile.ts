/**
 * What the runner needs to know to drive one real agent offline against the scripted model
 * server: where its binary is, how to prepare its isolated HOME, which environment points it at
 * the server and makes it trust the server's CA, and the non-interactive command line (and,
 * for those the runner also drives in their terminal UI, the interactive one).
 */

import { dirname, join } from "node:path";
import { fileURLToPath } from "node:url";
import type { McpServerConfig } from "./mcp_servers.ts";

export type AgentName = "claude" | "gemini" | "codex" | "opencode" | "qwen";

/**
 * Every agent the runner can drive: the pinned ones (`AgentName`, which the demo, the
 * evaluation and CI's per-agent tests loop over) and those it runs only as builds the coverage
 * matrix installs (GitHub Copilot CLI: no pinned build).
 */
export type RunnerName = AgentName | "copilot";

/** Every agent the runner drives. */
export const AGENT_NAMES: readonly AgentName[] = [
  "claude",
  "gemini",
  "codex",
  "opencode",
  "qwen",
];

/** The three the demo, the evaluation and the benchmarks run by default; the others are
 * optional (`--agents`). */
export const CORE_AGENTS: readonly AgentName[] = ["claude", "gemini", "codex"];

/** The server facts a profile needs. */
export interface ServerInfo {
  /** `https://127.0.0.1:PORT` */
  origin: string;
  /** `https://127.0.0.1:PORT/v1` */
  url: string;
  caCertPath: string;
  /** The machine's roots and that CA in one file (`trust_bundle.ts`): what agents are told to trust. */
  trustBundlePath: string;
}

/**
 * How Codex talks to the Responses API: over a WebSocket (`wss://…/v1/responses`, its default
 * transport for OpenAI) or over HTTP with server-sent events.
 */
export type CodexTransport = "websocket" | "http";

/** Codex's transport when none is asked for: its own default, the WebSocket. */
export const DEFAULT_CODEX_TRANSPORT: CodexTransport = "websocket";

/**
 * Where the agent's model API lives: its provider's own API (`direct`, the default), or a cloud
 * serving it under the cloud's routes: Claude Code on Amazon Bedrock (`bedrock`) or Google
 * Vertex AI (`vertex`), Codex on Azure OpenAI (`azure`). The scripted server answers them all.
 */
export type CloudProvider = "direct" | "bedrock" | "vertex" | "azure";

export const CLOUD_PROVIDERS: readonly CloudProvider[] = [
  "direct",
  "bedrock",
  "vertex",
  "azure",
];

export interface AgentSetup {
  home: string;
  /**
   * The executable the runner starts (the pinned binary or a build's launcher), for a profile
   * whose command line depends on what kind of build it is (Codex's TypeScript CLI).
   */
  binary?: string;
  workdir: string;
  server: ServerInfo;
  /** Model to ask for; the profile's default when absent. */
  model?: string;
  /** Codex: its transport (default DEFAULT_CODEX_TRANSPORT); other agents ignore it. */
  transport?: CodexTransport;
  /** MCP servers to configure the agent with (it starts them itself, over stdio). */
  mcpServers?: McpServerConfig[];
  /** Where its model API lives (default "direct"); see {@linkcode CloudProvider}. */
  provider?: CloudProvider;
  /**
   * Run its commands in its own sandbox, as its users do by default (profiles with
   * `sandboxes`), rather than with the sandbox bypassed.
   */
  sandbox?: boolean;
  /**
   * Its own terminal UI is driven (`interactiveArgs`): the profile also answers the questions
   * that UI asks first. Not otherwise: older builds read what is written for them differently.
   */
  interactive?: boolean;
}

export interface AgentProfile {
  name: RunnerName;
  /** The API it speaks. */
  provider: "anthropic" | "gemini" | "openai-responses" | "openai-chat";
  /** Its npm package (for installing other builds). */
  npmPackage: string;
  /** Absolute path of the pinned binary (lab/agents/node_modules/.bin/...). */
  binary: string;
  /** Writes its config files into `setup.home`. */
  prepareHome(setup: AgentSetup): Promise<void>;
  /** Environment variables specific to the agent (added to a minimal base environment). */
  env(setup: AgentSetup): Record<string, string>;
  /** Command line after the binary. */
  args(prompt: string, setup: AgentSetup): string[];
  /**
   * Command line after the binary for its own interactive terminal UI (no prompt: the user types
   * it), with the same tools and approvals as `args`; absent: the runner drives it only
   * non-interactively.
   */
  interactiveArgs?(setup: AgentSetup): string[];
  /** It writes a scenario's MCP servers (`AgentSetup.mcpServers`) into its configuration. */
  configuresMcp?: boolean;
  /** The clouds it can be pointed at besides its provider's own API. */
  clouds?: readonly CloudProvider[];
  /**
   * What it prints when it refuses to run as root (some of its builds, whatever the
   * environment says): a runner that is root then starts it again where it is not root (its
   * own user namespace, `agent_user.ts`).
   */
  rootRefusal?: RegExp;
  /**
   * How it sandboxes its commands when `AgentSetup.sandbox` asks for it (what it needs: e.g.
   * bubblewrap); absent: it has no sandbox the runner can turn on.
   */
  sandboxes?: string;
}

/** The pinned agents' bin directory. */
export const AGENTS_BIN: string = fileURLToPath(
  new URL("./node_modules/.bin/", import.meta.url),
);

/** A pinned agent's executable. */
export function agentBinary(name: string): string {
  return join(AGENTS_BIN, name);
}

/**
 * The minimal, predictable environment every agent starts from, alone or in a team: a dumb
 * terminal without colours, UTF-8, and of the caller's only PATH, the locale, the time zone,
 * who it is, its shell and TMPDIR (never the caller's real keys).
 */
export function agentBaseEnv(): Record<string, string> {
  const env: Record<string, string> = { TERM: "dumb", NO_COLOR: "1", LANG: "C.UTF-8" };
  for (const k of ["PATH", "LANG", "LC_ALL", "TZ", "USER", "LOGNAME", "SHELL", "TMPDIR"]) {
    const v = Deno.env.get(k);
    if (v !== undefined) env[k] = v;
  }
  env.PATH ??= "/usr/local/bin:/usr/bin:/bin";
  return env;
}

/** Placeholder credentials: the scripted server accepts anything and never logs them. */
export const FAKE_KEYS = {
  anthropic: "sk-ant-sightline-scripted-not-a-real-key",
  openai: "sk-sightline-scripted-not-a-real-key",
  gemini: "sightline-scripted-not-a-real-key",
} as const;

/**
 * Environment that makes every TLS stack the agents use trust the server's CA besides the roots it
 * trusts already. Each variable names the bundle of both (`trust_bundle.ts`), not the CA alone:
 * `SSL_CERT_FILE` replaces OpenSSL's roots by definition, and Bun 1.3.0 (opencode 1.0.0) took
 * `NODE_EXTRA_CA_CERTS` as its only roots too; a bundle is right whether a stack adds or replaces.
 */
export function trustEnv(server: ServerInfo): Record<string, string> {
  return {
    NODE_EXTRA_CA_CERTS: server.trustBundlePath,
    SSL_CERT_FILE: server.trustBundlePath,
    CODEX_CA_CERTIFICATE: server.trustBundlePath,
  };
}

/** Writes a configuration file as indented JSON, making its directory first. */
export async function writeJson(path: string, value: unknown): Promise<void> {
  await Deno.mkdir(dirname(path), { recursive: true });
  await Deno.writeTextFile(path, JSON.stringify(value, null, 2) + "\n");
}
