/**
 * The Gemini CLI (`@google/gemini-cli`, on Node) against the scripted server:
 * `GOOGLE_GEMINI_BASE_URL`, a placeholder `GEMINI_API_KEY`, a trusted workspace, and
 * `~/.gemini/settings.json` choosing API-key auth with usage statistics, telemetry and
 * auto-update off, and its `mcpServers` (trusted, so their calls need no confirmation);
 * `gemini -p PROMPT --yolo`.
 *
 * The settings are written in both of the layouts Gemini CLI has had. In the first builds (0.1.x;
 * 0.4.1 already has the nested one) the file was flat (`usageStatisticsEnabled`, `selectedAuthType` at the top): such a build ignores the
 * nested keys, sends usage statistics to play.googleapis.com, and offline dies of the
 * unhandled rejection. From the nested ("v2") layout on, a build either migrates the flat keys
 * into the places the nested ones already name (same values) or passes unknown top-level keys
 * through (its settings schema is `passthrough`).
 */

import { join } from "node:path";
import { agentBinary, type AgentProfile, FAKE_KEYS, trustEnv, writeJson } from "./agent_profile.ts";
import type { McpServerConfig } from "./mcp_servers.ts";

/**
 * The `mcpServers` of a Gemini CLI `settings.json` (Qwen Code, its fork, reads the same): a
 * stdio server's command, an HTTP one's `httpUrl` (streamable HTTP) or `url` (HTTP+SSE), each
 * trusted so its calls need no confirmation. Nothing when there are none.
 */
export function geminiMcpSettings(
  mcpServers: McpServerConfig[] | undefined,
): { mcpServers?: Record<string, unknown> } {
  if (!mcpServers?.length) return {};
  return {
    mcpServers: Object.fromEntries(
      mcpServers.map((m) => [
        m.name,
        m.url
          ? {
            ...(m.transport === "http" ? { httpUrl: m.url } : { url: m.url }),
            headers: m.headers,
            trust: true,
          }
          : { command: m.command, args: m.args, env: m.env, trust: true },
      ]),
    ),
  };
}

export const geminiProfile: AgentProfile = {
  name: "gemini",
  npmPackage: "@google/gemini-cli",
  provider: "gemini",
  binary: agentBinary("gemini"),
  configuresMcp: true,
  async prepareHome({ home, mcpServers }) {
    await writeJson(join(home, ".gemini", "settings.json"), {
      // the flat layout (the first Gemini CLI builds, 0.1.x)
      selectedAuthType: "gemini-api-key",
      usageStatisticsEnabled: false,
      // the nested layout
      security: { auth: { selectedType: "gemini-api-key" } },
      privacy: { usageStatisticsEnabled: false },
      telemetry: { enabled: false },
      general: { enableAutoUpdate: false, enableAutoUpdateNotification: false },
      ...geminiMcpSettings(mcpServers),
    });
  },
  env({ home, server }) {
    return {
      HOME: home,
      GOOGLE_GEMINI_BASE_URL: server.origin,
      GEMINI_API_KEY: FAKE_KEYS.gemini,
      GEMINI_CLI_TRUST_WORKSPACE: "true",
      ...trustEnv(server),
    };
  },
  args(prompt: string, setup) {
    return ["-p", prompt, ...geminiProfile.interactiveArgs!(setup)];
  },
  interactiveArgs({ model }) {
    return ["--yolo", ...(model ? ["--model", model] : [])];
  },
};
