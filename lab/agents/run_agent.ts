/**
 * Runs one real agent (Claude Code, Gemini CLI, Codex, opencode or Qwen Code; GitHub Copilot CLI
 * as a build the coverage matrix installs: agent_profile.ts) non-interactively (or in its own
 * terminal UI, through a driver given as `terminal`) against the scripted model server: starts
 * the server for a scenario or a transcript (or uses a given one), makes an isolated HOME with
 * the agent's config, puts the scenario's files in the working directory, maps the scenario's
 * page host names in a private hosts file, runs the agent (through `wrap`, the seam for running
 * it under capture) and returns its exit code, output, the server's request log, transcript and
 * timings.
 */

import { writeTrustBundle } from "./trust_bundle.ts";
import { join, resolve } from "node:path";
import { fileURLToPath } from "node:url";
import {
  hostsFile,
  type ModelServer,
  type PageRequest,
  type RequestRecord,
  type Scenario,
  scenarioOf,
  startModelServer,
  type Transcript,
  transcriptOf,
  type WebSocketCompression,
} from "../simulator/mod.ts";
import {
  agentBaseEnv,
  type AgentName,
  type AgentProfile,
  type AgentSetup,
  type CloudProvider,
  type CodexTransport,
  type RunnerName,
} from "./agent_profile.ts";
import { claudeProfile } from "./claude_profile.ts";
import { codexProfile } from "./codex_profile.ts";
import { geminiProfile } from "./gemini_profile.ts";
import { opencodeProfile } from "./opencode_profile.ts";
import { qwenProfile } from "./qwen_profile.ts";
import { copilotProfile } from "./copilot_profile.ts";
import { withHostsFile } from "./hosts_namespace.ts";
import { bothStarts, notRoot, refusedRoot, type RunAs, runAs } from "./agent_user.ts";
import { checkMcpServersInstalled, httpLauncher, resolveMcpServers } from "./mcp_servers.ts";
import { type RemoteMcpServers, startRemoteMcpServers } from "./remote_mcp.ts";
import { concatBytes } from "../../kit/bytes.ts";

export const PROFILES: Readonly<Record<AgentName, AgentProfile>> = {
  claude: claudeProfile,
  gemini: geminiProfile,
  codex: codexProfile,
  opencode: opencodeProfile,
  qwen: qwenProfile,
};

/**
 * Every profile the runner has: the pinned agents' (`PROFILES`, what per-agent loops run) and
 * those of agents it runs only as installed builds (`binary` given: the coverage matrix).
 */
export const RUNNERS: Readonly<Record<RunnerName, AgentProfile>> = {
  ...PROFILES,
  copilot: copilotProfile,
};

/** Where run directories (isolated HOME, hosts file) are made. */
export const RUNS_DIR: string = fileURLToPath(
  new URL("../../.cache/agent-runs", import.meta.url),
);

/**
 * Where a run's directory is made: RUNS_DIR, but for a sandboxed run of a checkout under /tmp
 * a directory under the runner's HOME: Codex's sandbox mounts a /tmp of its own, which hides a
 * HOME there and the helper Codex links into it ("bwrap: execvp codex-linux-sandbox: No such
 * file or directory", every command failing).
 */
export function runsDirFor(sandbox: boolean, runsDir = RUNS_DIR): string {
  if (!sandbox || !(runsDir === "/tmp" || runsDir.startsWith("/tmp/"))) return runsDir;
  const home = Deno.env.get("HOME");
  return home && home !== "/tmp" && !home.startsWith("/tmp/")
    ? join(home, ".cache", "sightline", "agent-runs")
    : "/var/tmp/sightline-agent-runs";
}

export interface RunAgentOptions {
  agent: RunnerName;
  /**
   * Scenario to play (parsed or a file path). Give a scenario, a transcript, or a server. With a
   * transcript too, the transcript is replayed and the scenario supplies files, pages and prompt.
   */
  scenario?: Scenario | string;
  /** Transcript to replay (parsed or a file path). */
  transcript?: Transcript | string;
  /** A server already running (it is not closed afterwards). */
  server?: ModelServer;
  /** Working directory; default: a new temporary directory (kept). Made if missing. */
  workdir?: string;
  /** The prompt; default the scenario's `prompt`, else a generic one. */
  prompt?: string;
  /** Extra environment for the agent (wins over the runner's). */
  env?: Record<string, string>;
  /**
   * Rewrites the final command line, e.g. to run the agent under capture. `again` is true when
   * the agent is started a second time in this run, after it refused to run as root: a wrap that
   * writes somewhere (a capture's recording) must then replace what the first start wrote.
   */
  wrap?: (argv: string[], again: boolean) => string[];
  /** Make the server offer HTTP/1.1 only. */
  http1?: boolean;
  /**
   * Make the server speak plain HTTP/1.1, no TLS (as a local Ollama, vLLM or LiteLLM proxy
   * does): the agent is given `http://` base URLs.
   */
  plainHttp?: boolean;
  /**
   * The address the server listens on (default 127.0.0.1): with `plainHttp`, an address of
   * this machine that is not loopback stands for a model server on the LAN.
   */
  hostname?: string;
  /**
   * A host name the agent is given for the server in place of its address (the API's own,
   * `api.anthropic.com`; the URL keeps the server's port), which the server's certificate
   * covers. Nothing maps it for the agent: it reaches the server through a proxy that resolves
   * the name (`env` `HTTPS_PROXY`, `http_proxy.ts`). Only for a server the runner starts.
   */
  apiHost?: string;
  /** Run this executable instead of the pinned one (another build of the same agent). */
  binary?: string;
  /** Codex's transport (default "websocket"; see codex_profile.ts). */
  transport?: CodexTransport;
  /**
   * How the server answers an offer of permessage-deflate on its WebSocket endpoint (default
   * "context-takeover"; "off" refuses compression).
   */
  websocketCompression?: WebSocketCompression;
  /** Largest WebSocket frame payload the server sends; longer messages are fragmented. */
  websocketFragmentSize?: number;
  /** Model the agent should ask for (default: each agent's own). */
  model?: string;
  /**
   * Where the agent's model API lives (default "direct"): Claude Code on "bedrock" or
   * "vertex", Codex on "azure"; the scripted server answers on the cloud's routes.
   */
  provider?: CloudProvider;
  /** Its commands in its own sandbox (profiles with `sandboxes`: Codex, Claude Code). */
  sandbox?: boolean;
  /**
   * Run the agent's own terminal UI instead (its profile's `interactiveArgs`: no prompt on the
   * command line, TERM xterm-256color): `terminal` starts the command line it is given (after
   * hosts wrapping and `wrap`) on a terminal, types the prompt, quits the agent as a user does
   * and says how it ended; its deadlines are its own (`timeoutMs` is not applied).
   */
  terminal?: (run: TerminalRun) => Promise<TerminalEnd>;
  /** Kill the agent after this long; default 120 s. */
  timeoutMs?: number;
  /** Keep the run directory (isolated HOME, hosts file) after the run; deleted by default. */
  keepHome?: boolean;
  /** Server request log as JSONL. */
  logFile?: string;
  /**
   * How the agent is started when the runner is root: as the runner, or `not-root` (in a user
   * namespace of its own, agent_user.ts). Default: as the runner, and not root for a second
   * start when the agent refused root (its profile's `rootRefusal` in what it printed, exit not
   * 0, no request made). A runner that is not root always starts it as itself.
   */
  runAs?: RunAs;
}

/** What a `terminal` driver (RunAgentOptions) is given. */
export interface TerminalRun {
  /** the agent's interactive command line, as wrapped (under capture: the capture's) */
  argv: string[];
  /** its whole environment */
  env: Record<string, string>;
  /** its working directory */
  cwd: string;
  /** the prompt to type */
  prompt: string;
  /** the scripted server: its `requests` say what was served so far */
  server: ModelServer;
}

/** How the agent run on a terminal ended, and what the terminal showed (its `stdout`). */
export interface TerminalEnd {
  exitCode: number | null;
  signal: Deno.Signal | null;
  output: string;
}

export interface RunAgentResult {
  agent: RunnerName;
  /** Exit code; null when killed by a signal. */
  exitCode: number | null;
  signal: string | null;
  timedOut: boolean;
  stdout: string;
  stderr: string;
  /** The command line that ran (after hosts wrapping and `wrap`). */
  argv: string[];
  workdir: string;
  home: string;
  /** The agent ran where it is not root (`runAs`, or it refused root: agent_user.ts). */
  notRoot?: boolean;
  /**
   * The first start, when the agent refused root and was started again (what it printed; a
   * second start that failed too has both in `stderr`, agent_user.ts `bothStarts`).
   */
  refusedRoot?: {
    exitCode: number | null;
    stdout: string;
    stderr: string;
    /** how long that start took, from its spawn to its end (pipes closed, exit seen) */
    ms: number;
  };
  /** This run's directory under `.cache/agent-runs/` (HOME, hosts file); gone unless kept. */
  runDir: string;
  /** The server's log of this run's requests. */
  requests: RequestRecord[];
  /** Requests the scenario could not answer as written. */
  serverErrors: string[];
  /** What the server served during this run: save it to replay the run. */
  transcript: Transcript;
  /** Requests each page server got, by page name. */
  pageRequests: Record<string, PageRequest[]>;
  /**
   * The ALPN protocol (`h2`, `http/1.1`) of each connection the agent made to a remote MCP
   * server whose front offers h2 (`h2` in the scenario), by server name.
   */
  remoteMcpProtocols: Record<string, string[]>;
  timings: { setupMs: number; agentMs: number; totalMs: number };
}

const DEFAULT_PROMPT = "Carry out the task the scripted model gives you.";

async function collect(stream: ReadableStream<Uint8Array>): Promise<string> {
  const parts: Uint8Array[] = [];
  for await (const p of stream) parts.push(p);
  return new TextDecoder().decode(concatBytes(parts));
}

/** Why `agent` cannot run on `cloud`, or null when it can. */
export function cloudProblem(agent: RunnerName, cloud: CloudProvider): string | null {
  const clouds = RUNNERS[agent]?.clouds ?? [];
  if (cloud === "direct" || clouds.includes(cloud)) return null;
  return `${agent} has no ${cloud} provider (${
    clouds.length ? `it runs on ${clouds.join(" or ")}` : "only its provider's own API"
  })`;
}

/** Runs an agent against the scripted server; see {@linkcode RunAgentOptions}. */
export async function runAgent(opts: RunAgentOptions): Promise<RunAgentResult> {
  const t0 = performance.now();
  const profile = RUNNERS[opts.agent];
  if (!profile) throw new Error(`unknown agent ${JSON.stringify(opts.agent)}`);
  const scripted = opts.scenario !== undefined || opts.transcript !== undefined;
  if (scripted === (opts.server !== undefined)) {
    throw new Error(
      "runAgent: give a scenario, a transcript (or both), or a running server",
    );
  }
  const cloud = opts.provider ?? "direct";
  const problem = cloudProblem(opts.agent, cloud);
  if (problem) throw new Error(problem);
  if (opts.terminal && !profile.interactiveArgs) {
    throw new Error(`${opts.agent}: the runner does not drive its terminal UI`);
  }
  if (opts.sandbox && !profile.sandboxes) {
    throw new Error(
      `${opts.agent} has no sandbox the runner can turn on (Codex and Claude Code do)`,
    );
  }
  const binary = opts.binary ?? profile.binary;
  await Deno.stat(binary).catch(() => {
    throw new Error(
      opts.binary
        ? `${binary} is missing`
        : `${binary} is missing: run scripts/setup.sh to install the agents`,
    );
  });

  if (opts.apiHost !== undefined && opts.server) {
    throw new Error("runAgent: apiHost needs a server the runner starts (its certificate)");
  }
  const scenario = await scenarioOf(opts.scenario);
  const transcript = await transcriptOf(opts.transcript);

  const runsDir = runsDirFor(opts.sandbox ?? false);
  await Deno.mkdir(runsDir, { recursive: true });
  const runDir = await Deno.makeTempDir({
    dir: runsDir,
    prefix: `${opts.agent}-`,
  });
  const home = join(runDir, "home");
  await Deno.mkdir(home, { recursive: true });
  let handedOver = false;
  // The default working directory is outside the repository, so agents see no git project.
  const workdir = resolve(
    opts.workdir ??
      await Deno.makeTempDir({ prefix: `sightline-${opts.agent}-work-` }),
  );
  await Deno.mkdir(workdir, { recursive: true });

  const server = opts.server ?? await startModelServer({
    scenario,
    transcript,
    http1: opts.http1,
    plainHttp: opts.plainHttp,
    hostname: opts.hostname,
    logFile: opts.logFile,
    extraNames: opts.apiHost !== undefined ? [opts.apiHost] : undefined,
    vars: { workdir },
    websocket: {
      compression: opts.websocketCompression,
      fragmentSize: opts.websocketFragmentSize,
    },
  });
  if (opts.server) server.vars.workdir = workdir;
  const firstRequest = server.requests.length;
  const firstExchange = server.transcript.exchanges.length;
  const sc = scenario ?? server.scenario;
  let remote: RemoteMcpServers | undefined;
  try {
    for (const [rel, content] of Object.entries(sc?.files ?? {})) {
      const path = join(workdir, rel);
      await Deno.mkdir(join(path, ".."), { recursive: true });
      if (typeof content === "string") await Deno.writeTextFile(path, content);
      else await Deno.writeFile(path, content);
    }
    const mcpServers = resolveMcpServers(sc?.mcpServers, workdir);
    if (mcpServers.length && !profile.configuresMcp) {
      throw new Error(
        `${profile.name}: the runner cannot configure MCP servers for it yet (the scenario has ` +
          `mcpServers: ${mcpServers.map((m) => m.name).join(", ")})`,
      );
    }
    await checkMcpServersInstalled(mcpServers);
    remote = await startRemoteMcpServers(mcpServers, server.caCertPath);
    for (const m of mcpServers) {
      if (m.port !== undefined) {
        server.vars[`mcp_port_${m.name}`] = String(m.port);
      }
      if (m.url !== undefined) server.vars[`mcp_url_${m.name}`] = m.url;
    }
    const origin = opts.apiHost === undefined
      ? server.origin
      : `${new URL(server.origin).protocol}//${opts.apiHost}:${server.port}`;
    const prompt = opts.prompt ?? sc?.prompt ?? DEFAULT_PROMPT;
    const timeoutMs = opts.timeoutMs ?? 120_000;
    const trustBundlePath = await writeTrustBundle(runDir, server.caCertPath);

    /** Starts the agent (where it is not root, with `asNotRoot`) and waits for it. */
    const start = async (asNotRoot: boolean, again: boolean) => {
      const setup: AgentSetup = {
        home,
        binary,
        workdir,
        server: {
          origin,
          url: `${origin}/v1`,
          caCertPath: server.caCertPath,
          trustBundlePath,
        },
        model: opts.model,
        transport: opts.transport,
        mcpServers,
        provider: cloud,
        sandbox: opts.sandbox,
        interactive: opts.terminal !== undefined,
      };
      await profile.prepareHome(setup);
      let argv = [
        binary,
        ...(opts.terminal ? profile.interactiveArgs!(setup) : profile.args(prompt, setup)),
      ];
      if (asNotRoot) argv = notRoot(argv);
      const launcher = httpLauncher(mcpServers);
      if (launcher) {
        // the HTTP MCP servers start beside the agent, inside whatever wraps it (the capture)
        const path = join(runDir, "mcp_http_launcher.sh");
        await Deno.writeTextFile(path, launcher);
        argv = ["/bin/bash", path, ...argv];
      }
      if (server.pages.some((p) => p.host)) {
        const hostsPath = join(runDir, "hosts");
        const base = await Deno.readTextFile("/etc/hosts").catch(() => "");
        await Deno.writeTextFile(hostsPath, hostsFile(server.pages, base));
        argv = withHostsFile(argv, hostsPath);
      }
      if (opts.wrap) argv = opts.wrap(argv, again);
      const env = {
        ...agentBaseEnv(),
        ...profile.env(setup),
        ...(opts.terminal ? { TERM: "xterm-256color" } : {}),
        ...(opts.env ?? {}),
      };
      const tAgent = performance.now();
      if (opts.terminal) {
        const end = await opts.terminal({ argv, env, cwd: workdir, prompt, server });
        const status = {
          success: end.exitCode === 0,
          code: end.exitCode ?? 1,
          signal: end.signal,
        };
        const ms = Math.round(performance.now() - tAgent);
        const { exitCode, output: stdout } = end;
        return {
          argv,
          stdout,
          stderr: "",
          status,
          exitCode,
          timedOut: false,
          tAgent,
          ms,
          notRoot: asNotRoot,
        };
      }
      const child = new Deno.Command(argv[0], {
        args: argv.slice(1),
        cwd: workdir,
        env,
        clearEnv: true,
        stdin: "null",
        stdout: "piped",
        stderr: "piped",
      }).spawn();
      let timedOut = false;
      let killTimer: ReturnType<typeof setTimeout> | undefined;
      const timer = setTimeout(() => {
        timedOut = true;
        try {
          child.kill("SIGTERM");
        } catch { /* already gone */ }
        killTimer = setTimeout(() => {
          try {
            child.kill("SIGKILL");
          } catch { /* already gone */ }
        }, 3000);
      }, timeoutMs);
      const [stdout, stderr, status] = await Promise.all([
        collect(child.stdout),
        collect(child.stderr),
        child.status,
      ]);
      clearTimeout(timer);
      clearTimeout(killTimer);
      const exitCode = status.signal ? null : status.code;
      const ms = Math.round(performance.now() - tAgent);
      return { argv, stdout, stderr, status, exitCode, timedOut, tAgent, ms, notRoot: asNotRoot };
    };

    const asked = runAs(opts.runAs, Deno.uid());
    let ran = await start(asked === "not-root", false);
    let refusal: typeof ran | undefined;
    if (
      asked === undefined &&
      refusedRoot(profile.rootRefusal, {
        ...ran,
        requests: server.requests.length - firstRequest,
      })
    ) {
      // it refused root: again, where it is not root (agent_user.ts)
      refusal = ran;
      ran = await start(true, true);
    }
    const { argv, stdout, status, timedOut, tAgent } = ran;
    // a second start that failed too keeps the refusal beside its own error
    const stderr = refusal ? bothStarts(refusal, ran) : ran.stderr;
    const agentMs = performance.now() - tAgent;
    const pageRequests: Record<string, PageRequest[]> = {};
    for (const p of server.pages) pageRequests[p.name] = [...p.requests];
    // from here the caller has the run directory, to remove when it keeps it
    handedOver = true;
    return {
      agent: opts.agent,
      exitCode: ran.exitCode,
      signal: status.signal,
      timedOut,
      stdout,
      stderr,
      argv,
      workdir,
      home,
      ...(ran.notRoot ? { notRoot: true } : {}),
      ...(refusal
        ? {
          refusedRoot: {
            exitCode: refusal.exitCode,
            stdout: refusal.stdout,
            stderr: refusal.stderr,
            ms: refusal.ms,
          },
        }
        : {}),
      runDir,
      requests: server.requests.slice(firstRequest),
      serverErrors: [...server.errors],
      transcript: {
        ...server.transcript,
        exchanges: server.transcript.exchanges.slice(firstExchange),
      },
      pageRequests,
      remoteMcpProtocols: Object.fromEntries(
        Object.entries(remote?.protocols ?? {}).map(([k, v]) => [k, [...v]]),
      ),
      timings: {
        setupMs: Math.round(tAgent - t0),
        agentMs: Math.round(agentMs),
        totalMs: Math.round(performance.now() - t0),
      },
    };
  } finally {
    await remote?.close();
    if (!opts.server) await server.close();
    // a run that failed never handed its directory over: removed even when it was to be kept
    if (!opts.keepHome || !handedOver) {
      await Deno.remove(runDir, { recursive: true }).catch(() => {});
    }
  }
}
