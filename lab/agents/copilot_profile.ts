/**
 * GitHub Copilot CLI (`@github/copilot`, a Node single executable in
 * `@github/copilot-linux-x64`) against the scripted server, offline with a custom provider
 * ("bring your own key", as its `copilot help environment` documents it from 1.0.x on):
 * `COPILOT_OFFLINE=true` (no GitHub sign-in, telemetry, GitHub MCP server or auto-update),
 * `COPILOT_PROVIDER_BASE_URL` the server's `/v1` (type `openai`: Chat Completions, its default
 * wire API), a placeholder `COPILOT_PROVIDER_API_KEY`, `COPILOT_MODEL`; its MCP servers in
 * `~/.copilot/mcp-config.json` (`type` `local` for stdio, `http`/`sse` with a URL; every tool
 * allowed); `copilot -p PROMPT --allow-all-tools`.
 *
 * Not among the pinned agents (`AGENT_NAMES`): no build is installed by `scripts/setup.sh`; the
 * coverage matrix runs the builds it installs (`lab/coverage/builds.ts`). Builds without BYOK
 * (0.0.x) send the server nothing: the matrix says so.
 */

import { join } from "node:path";
import { agentBinary, type AgentProfile, FAKE_KEYS, trustEnv, writeJson } from "./agent_profile.ts";
import type { McpServerConfig } from "./mcp_servers.ts";

export const COPILOT_DEFAULT_MODEL = "gpt-5.5";

/** The `mcpServers` of Copilot's `mcp-config.json`: every tool of each server allowed. */
export function copilotMcpConfig(
  mcpServers: McpServerConfig[] | undefined,
): { mcpServers: Record<string, unknown> } {
  return {
    mcpServers: Object.fromEntries(
      (mcpServers ?? []).map((m) => [
        m.name,
        m.url
          ? {
            type: m.transport === "sse" ? "sse" : "http",
            url: m.url,
            headers: m.headers,
            tools: ["*"],
          }
          : { type: "local", command: m.command, args: m.args, env: m.env, tools: ["*"] },
      ]),
    ),
  };
}

export const copilotProfile: AgentProfile = {
  name: "copilot",
  npmPackage: "@github/copilot",
  provider: "openai-chat",
  binary: agentBinary("copilot"),
  configuresMcp: true,
  async prepareHome({ home, mcpServers }) {
    if (mcpServers?.length) {
      await writeJson(join(home, ".copilot", "mcp-config.json"), copilotMcpConfig(mcpServers));
    }
  },
  env({ home, server, model }) {
    return {
      HOME: home,
      COPILOT_OFFLINE: "true",
      COPILOT_AUTO_UPDATE: "false",
      COPILOT_PROVIDER_BASE_URL: server.url,
      COPILOT_PROVIDER_API_KEY: FAKE_KEYS.openai,
      COPILOT_MODEL: model ?? COPILOT_DEFAULT_MODEL,
      ...trustEnv(server),
    };
  },
  args(prompt: string) {
    return ["-p", prompt, "--allow-all-tools"];
  },
};
