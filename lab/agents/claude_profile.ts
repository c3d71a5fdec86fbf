/**
 * Claude Code (`@anthropic-ai/claude-code`, a native binary) against the scripted server:
 * `ANTHROPIC_BASE_URL` and a placeholder `ANTHROPIC_API_KEY`, non-essential traffic, telemetry,
 * auto-update and error reporting off, `claude -p PROMPT` with Bash/Read/Write allowed and
 * permissions skipped (`IS_SANDBOX=1` allows that as root). MCP servers go in a config file
 * given with `--mcp-config` and `--strict-mcp-config`; `ENABLE_TOOL_SEARCH=false` keeps their
 * tools in the request instead of deferring them behind the `ToolSearch` tool.
 */

import { join } from "node:path";
import { agentBinary, type AgentProfile, FAKE_KEYS, trustEnv, writeJson } from "./agent_profile.ts";

/** Where the run's MCP server configuration for Claude Code is written. */
export function claudeMcpConfigPath(home: string): string {
  return join(home, ".claude", "sightline-mcp.json");
}

export const claudeProfile: AgentProfile = {
  name: "claude",
  npmPackage: "@anthropic-ai/claude-code",
  provider: "anthropic",
  binary: agentBinary("claude"),
  configuresMcp: true,
  async prepareHome({ home, mcpServers }) {
    await writeJson(join(home, ".claude.json"), {
      hasCompletedOnboarding: true,
      autoUpdates: false,
      bypassPermissionsModeAccepted: true,
    });
    await writeJson(join(home, ".claude", "settings.json"), {
      includeCoAuthoredBy: false,
      permissions: { allow: ["Bash", "Read", "Write"] },
    });
    if (mcpServers?.length) {
      await writeJson(claudeMcpConfigPath(home), {
        mcpServers: Object.fromEntries(
          mcpServers.map((m) => [
            m.name,
            m.url
              ? { type: m.transport, url: m.url, headers: m.headers }
              : { type: "stdio", command: m.command, args: m.args, env: m.env },
          ]),
        ),
      });
    }
  },
  env({ home, server, mcpServers }) {
    return {
      ...(mcpServers?.length ? { ENABLE_TOOL_SEARCH: "false" } : {}),
      HOME: home,
      ANTHROPIC_BASE_URL: server.origin,
      ANTHROPIC_API_KEY: FAKE_KEYS.anthropic,
      CLAUDE_CODE_DISABLE_NONESSENTIAL_TRAFFIC: "1",
      DISABLE_TELEMETRY: "1",
      DISABLE_AUTOUPDATER: "1",
      DISABLE_ERROR_REPORTING: "1",
      IS_SANDBOX: "1",
      ...trustEnv(server.caCertPath),
    };
  },
  args(prompt: string, { model, home, mcpServers }) {
    const mcp = mcpServers?.length
      ? ["--mcp-config", claudeMcpConfigPath(home), "--strict-mcp-config"]
      : [];
    return [
      "-p",
      prompt,
      "--allowedTools",
      "Bash,Read,Write",
      "--dangerously-skip-permissions",
      ...(model ? ["--model", model] : []),
      ...mcp,
    ];
  },
};
