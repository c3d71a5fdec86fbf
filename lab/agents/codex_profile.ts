/**
 * OpenAI Codex (`@openai/codex`, a Rust binary behind a node launcher) against the scripted
 * server: `$CODEX_HOME/config.toml` with a model provider whose `base_url` is the server's `/v1`
 * (`wire_api = "responses"`, `env_key = "OPENAI_API_KEY"`), trust via `CODEX_CA_CERTIFICATE`
 * and `SSL_CERT_FILE`; `codex exec` with approvals and sandbox bypassed and analytics, plugins,
 * apps and tool suggestions off (as `-c features.X=false`, which builds from 0.120 on accept
 * even for features they do not have); MCP servers as `[mcp_servers.NAME]` tables (stdio:
 * `command`/`args`/`env`; streamable HTTP: `url` and `http_headers`; Codex has no HTTP+SSE
 * client, so such a server is refused). Its stdin must be /dev/null.
 *
 * Transport: by default the provider says `supports_websockets = true`, as Codex's built-in
 * OpenAI provider does, so Codex runs in its default transport: one WebSocket to
 * `wss://…/v1/responses` per session (tungstenite, offering permessage-deflate), a warm-up
 * `response.create` with `generate: false`, then each turn as a `response.create` message
 * continuing the previous response. `transport: "http"` sets it false: `POST /v1/responses`
 * with server-sent events.
 *
 * On Azure OpenAI (`provider: "azure"`), as Codex's documentation configures it: a provider whose
 * `base_url` is the server's `/openai` (for `https://NAME.openai.azure.com/openai`), `env_key =
 * "AZURE_OPENAI_API_KEY"`, `query_params = { api-version = "2025-04-01-preview" }`; it then posts
 * to `/openai/responses?api-version=…` (WebSockets off, as for any provider not OpenAI's).
 */

import { dirname, join } from "node:path";
import {
  agentBinary,
  type AgentProfile,
  DEFAULT_CODEX_TRANSPORT,
  FAKE_KEYS,
  trustEnv,
} from "./agent_profile.ts";

export const CODEX_DEFAULT_MODEL = "gpt-5.5";

/** A TOML basic string. */
function tomlString(s: string): string {
  return JSON.stringify(s);
}

/** A TOML table of strings (`[name]` then `key = "value"` lines); nothing when it is empty. */
function tomlTable(name: string, entries: Record<string, string>): string[] {
  const key = (k: string) => /^[A-Za-z0-9_-]+$/.test(k) ? k : tomlString(k);
  const keys = Object.entries(entries);
  return keys.length ? [`[${name}]`, ...keys.map(([k, v]) => `${key(k)} = ${tomlString(v)}`)] : [];
}

/** The model the TypeScript CLI is run on unless one is asked for (it does not list models for it). */
export const CODEX_TS_MODEL = "o4-mini";

/**
 * Whether `binary` starts Codex's TypeScript CLI: it lies in an `@openai/codex` package that
 * carries `dist/cli.js`, and the package is not marked `use-native` (whose launcher runs the
 * Rust binary beside it). An ELF binary, a Rust build's launcher or a path that is not there:
 * false.
 */
export function isCodexScriptCli(binary: string | undefined): boolean {
  if (!binary) return false;
  let dir: string;
  try {
    dir = dirname(Deno.realPathSync(binary));
  } catch {
    return false;
  }
  const exists = (p: string) => {
    try {
      Deno.statSync(p);
      return true;
    } catch {
      return false;
    }
  };
  for (let i = 0; i < 3 && dir !== dirname(dir); i++, dir = dirname(dir)) {
    let name: unknown;
    try {
      name = JSON.parse(Deno.readTextFileSync(join(dir, "package.json"))).name;
    } catch {
      continue;
    }
    return name === "@openai/codex" && exists(join(dir, "dist", "cli.js")) &&
      !exists(join(dir, "bin", "use-native"));
  }
  return false;
}

const execFlagsSeen = new Map<string, Set<string>>();

/**
 * The long options `codex exec` takes, from its own `exec --help` (clap's), once per binary:
 * the first Rust builds (0.1.2505291658) have `--full-auto` but not yet
 * `--dangerously-bypass-approvals-and-sandbox`, which the later ones take. Empty when the
 * binary cannot be asked (then the current options are used, and a build that refuses them
 * says so in its error).
 */
export function codexExecFlags(binary: string): Set<string> {
  let key = binary;
  try {
    key = Deno.realPathSync(binary);
  } catch { /* asked as named */ }
  const seen = execFlagsSeen.get(key);
  if (seen) return seen;
  const flags = new Set<string>();
  // a HOME of its own, removed after: even `--help` makes ~/.codex/tmp/arg0 (as root, a HOME
  // that does not exist is made: /nonexistent)
  const home = Deno.makeTempDirSync({ prefix: "sl-codex-help-" });
  try {
    // a build that hangs on --help does not hold the runner: coreutils' timeout ends it
    const r = new Deno.Command("timeout", {
      args: ["30", binary, "exec", "--help"],
      stdin: "null",
      stdout: "piped",
      stderr: "piped",
      clearEnv: true,
      env: {
        PATH: Deno.env.get("PATH") ?? "/usr/bin:/bin",
        HOME: home,
        CODEX_HOME: `${home}/.codex`,
      },
    }).outputSync();
    const text = new TextDecoder().decode(r.stdout);
    for (const m of text.matchAll(/(?:^|[\s,])(--[a-z][a-z0-9-]*)/gm)) flags.add(m[1]);
  } catch {
    /* not runnable here */
  } finally {
    Deno.removeSync(home, { recursive: true });
  }
  execFlagsSeen.set(key, flags);
  return flags;
}

/**
 * How `codex exec` is told to run commands without asking: bypassing approvals and the
 * sandbox where the build has that option (or its options cannot be read), else `--full-auto`
 * (the first Rust builds: commands run without asking in their sandbox, which lets them write
 * the working directory and TMPDIR).
 */
export function codexAutoFlags(flags: Set<string>): string[] {
  if (flags.size === 0 || flags.has("--dangerously-bypass-approvals-and-sandbox")) {
    return ["--dangerously-bypass-approvals-and-sandbox"];
  }
  if (flags.has("--full-auto")) return ["--full-auto"];
  return ["--dangerously-bypass-approvals-and-sandbox"];
}

/** The TypeScript CLI's set-up (0.1.x before the Rust one): see the module's doc. */
async function prepareScriptHome(
  { home, model, mcpServers, provider }: Parameters<AgentProfile["prepareHome"]>[0],
): Promise<void> {
  if (mcpServers?.length) {
    throw new Error(
      `codex: this build is the TypeScript CLI (0.1.x), which has no MCP client (${
        mcpServers.map((m) => m.name).join(", ")
      })`,
    );
  }
  if (provider && provider !== "direct") {
    throw new Error(`codex: the runner drives the TypeScript CLI (0.1.x) on OpenAI's API only`);
  }
  const codexHome = join(home, ".codex");
  await Deno.mkdir(codexHome, { recursive: true });
  await Deno.writeTextFile(
    join(codexHome, "config.json"),
    JSON.stringify({ model: model ?? CODEX_TS_MODEL, approvalMode: "full-auto" }, null, 2) + "\n",
  );
  await Deno.writeTextFile(
    join(codexHome, "update-check.json"),
    JSON.stringify({ lastUpdateCheck: new Date().toUTCString() }) + "\n",
  );
}

export const codexProfile: AgentProfile = {
  name: "codex",
  npmPackage: "@openai/codex",
  provider: "openai-responses",
  binary: agentBinary("codex"),
  configuresMcp: true,
  clouds: ["azure"],
  async prepareHome(setup) {
    if (isCodexScriptCli(setup.binary)) return await prepareScriptHome(setup);
    const { home, server, model, transport, mcpServers, provider } = setup;
    // Codex speaks MCP over stdio and streamable HTTP (`url`); the older HTTP+SSE transport it
    // does not have, so such a server is refused here rather than silently left out.
    const sse = (mcpServers ?? []).find((m) => m.transport === "sse");
    if (sse) {
      throw new Error(
        `codex: MCP over HTTP+SSE is not something Codex speaks (${sse.name}); use http (streamable HTTP) or stdio`,
      );
    }
    const codexHome = join(home, ".codex");
    await Deno.mkdir(codexHome, { recursive: true });
    await Deno.writeTextFile(
      join(codexHome, "config.toml"),
      [
        "# Written by the Sightline agent runner: Codex talks only to the scripted model server.",
        `model = ${tomlString(model ?? CODEX_DEFAULT_MODEL)}`,
        `model_provider = "sightline"`,
        "",
        "[model_providers.sightline]",
        ...provider === "azure"
          ? [
            `name = "Azure OpenAI (the Sightline scripted model server)"`,
            `base_url = ${tomlString(`${server.origin}/openai`)}`,
            `env_key = "AZURE_OPENAI_API_KEY"`,
            `query_params = { api-version = "2025-04-01-preview" }`,
            `wire_api = "responses"`,
            `supports_websockets = false`,
          ]
          : [
            `name = "Sightline scripted model server"`,
            `base_url = ${tomlString(server.url)}`,
            `wire_api = "responses"`,
            `env_key = "OPENAI_API_KEY"`,
            `supports_websockets = ${(transport ?? DEFAULT_CODEX_TRANSPORT) === "websocket"}`,
          ],
        "request_max_retries = 1",
        "stream_max_retries = 1",
        "",
        ...(mcpServers ?? []).flatMap((m) => [
          `[mcp_servers.${m.name}]`,
          ...m.transport === "http"
            ? [
              `url = ${tomlString(m.url!)}`,
              ...tomlTable(
                `mcp_servers.${m.name}.http_headers`,
                m.headers ?? {},
              ),
            ]
            : [
              `command = ${tomlString(m.command)}`,
              `args = [${m.args.map(tomlString).join(", ")}]`,
              ...tomlTable(`mcp_servers.${m.name}.env`, m.env),
            ],
          "",
        ]),
      ].join("\n"),
    );
  },
  env({ home, server, provider, binary }) {
    if (isCodexScriptCli(binary)) {
      return {
        HOME: home,
        OPENAI_API_KEY: FAKE_KEYS.openai,
        OPENAI_BASE_URL: server.url,
        CODEX_UNSAFE_ALLOW_NO_SANDBOX: "1",
        ...trustEnv(server),
      };
    }
    return {
      HOME: home,
      CODEX_HOME: join(home, ".codex"),
      OPENAI_API_KEY: FAKE_KEYS.openai,
      ...(provider === "azure" ? { AZURE_OPENAI_API_KEY: FAKE_KEYS.openai } : {}),
      ...trustEnv(server),
    };
  },
  sandboxes: "`--sandbox workspace-write` (bubblewrap, or Landlock and seccomp in older builds)",
  args(prompt: string, setup) {
    if (isCodexScriptCli(setup.binary)) {
      return [
        "-q",
        "-a",
        "full-auto",
        "--no-project-doc",
        "-m",
        setup.model ?? CODEX_TS_MODEL,
        prompt,
      ];
    }
    return [
      "exec",
      "--skip-git-repo-check",
      ...(setup.sandbox
        ? ["--sandbox", "workspace-write"]
        : codexAutoFlags(setup.binary ? codexExecFlags(setup.binary) : new Set())),
      "-c",
      "analytics.enabled=false",
      // as config rather than --disable, which older builds refuse for features they lack
      "-c",
      "features.plugins=false",
      "-c",
      "features.apps=false",
      "-c",
      "features.remote_plugin=false",
      "-c",
      "features.tool_suggest=false",
      prompt,
    ];
  },
};
