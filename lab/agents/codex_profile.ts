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

import { join } from "node:path";
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

export const codexProfile: AgentProfile = {
  name: "codex",
  npmPackage: "@openai/codex",
  provider: "openai-responses",
  binary: agentBinary("codex"),
  configuresMcp: true,
  clouds: ["azure"],
  async prepareHome({ home, server, model, transport, mcpServers, provider }) {
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
  env({ home, server, provider }) {
    return {
      HOME: home,
      CODEX_HOME: join(home, ".codex"),
      OPENAI_API_KEY: FAKE_KEYS.openai,
      ...(provider === "azure" ? { AZURE_OPENAI_API_KEY: FAKE_KEYS.openai } : {}),
      ...trustEnv(server),
    };
  },
  sandboxes: "`--sandbox workspace-write` (bubblewrap, or Landlock and seccomp in older builds)",
  args(prompt: string, { sandbox }) {
    return [
      "exec",
      "--skip-git-repo-check",
      ...(sandbox
        ? ["--sandbox", "workspace-write"]
        : ["--dangerously-bypass-approvals-and-sandbox"]),
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
