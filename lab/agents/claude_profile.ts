/**
 * Claude Code (`@anthropic-ai/claude-code`, a native binary) against the scripted server:
 * `ANTHROPIC_BASE_URL` and a placeholder `ANTHROPIC_API_KEY`, non-essential traffic, telemetry,
 * auto-update and error reporting off, `claude -p PROMPT` with Bash/Read/Write allowed and
 * permissions skipped (`IS_SANDBOX=1` allows that as root). Its terminal UI (the same without
 * `-p PROMPT`) asks first whether to use the API key and whether to trust the working directory:
 * both answered yes in `.claude.json` when that UI is driven (`AgentSetup.interactive`); and it clones the official plugin marketplace from GitHub
 * unless told not to (`CLAUDE_CODE_DISABLE_OFFICIAL_MARKETPLACE_AUTOINSTALL`). Its 1.0 builds
 * refuse it as root whatever the environment says; the runner then starts them again where they
 * are not root (`rootRefusal`, agent_user.ts). MCP servers go in a config file
 * given with `--mcp-config` and `--strict-mcp-config`; `ENABLE_TOOL_SEARCH=false` keeps their
 * tools in the request instead of deferring them behind the `ToolSearch` tool.
 *
 * On Bedrock (`provider: "bedrock"`): `CLAUDE_CODE_USE_BEDROCK=1`, `ANTHROPIC_BEDROCK_BASE_URL`
 * the server, `CLAUDE_CODE_SKIP_BEDROCK_AUTH=1` (no SigV4 signing) and `AWS_REGION`; it then
 * posts to `/model/M/invoke-with-response-stream` and reads AWS event-stream frames. On Vertex AI
 * (`provider: "vertex"`): `CLAUDE_CODE_USE_VERTEX=1`, `ANTHROPIC_VERTEX_BASE_URL` the server's
 * `/v1`, `CLAUDE_CODE_SKIP_VERTEX_AUTH=1`, `ANTHROPIC_VERTEX_PROJECT_ID` and `CLOUD_ML_REGION`;
 * it posts to `/v1/projects/P/locations/R/publishers/anthropic/models/M:streamRawPredict`. (The
 * names are the ones in the pinned binary's strings.)
 */

import { join } from "node:path";
import {
  agentBinary,
  type AgentProfile,
  type CloudProvider,
  FAKE_KEYS,
  trustEnv,
  writeJson,
} from "./agent_profile.ts";

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
  clouds: ["bedrock", "vertex"],
  // 1.0.0 to 1.0.6x: "--dangerously-skip-permissions cannot be used with root/sudo privileges
  // for security reasons", exit 1, before any request
  rootRefusal: /cannot be used with root\/sudo privileges/,
  sandboxes: "settings `sandbox.enabled` (bubblewrap and socat)",
  async prepareHome({ home, workdir, mcpServers, sandbox, interactive }) {
    await writeJson(join(home, ".claude.json"), {
      hasCompletedOnboarding: true,
      autoUpdates: false,
      bypassPermissionsModeAccepted: true,
      // the questions its terminal UI asks first: use the API key in the environment (it keeps
      // the key's last 20 characters), trust the working directory. Only for the terminal UI:
      // 1.0 builds take a project entry for whole and fail on the fields it lacks
      ...(interactive
        ? {
          customApiKeyResponses: { approved: [FAKE_KEYS.anthropic.slice(-20)], rejected: [] },
          projects: {
            [await Deno.realPath(workdir).catch(() => workdir)]: { hasTrustDialogAccepted: true },
          },
        }
        : {}),
    });
    await writeJson(join(home, ".claude", "settings.json"), {
      includeCoAuthoredBy: false,
      permissions: { allow: ["Bash", "Read", "Write"] },
      ...(sandbox ? { sandbox: { enabled: true, autoAllowBashIfSandboxed: true } } : {}),
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
  env({ home, server, mcpServers, provider }) {
    return {
      ...(mcpServers?.length ? { ENABLE_TOOL_SEARCH: "false" } : {}),
      HOME: home,
      ...claudeApiEnv(server.origin, provider),
      CLAUDE_CODE_DISABLE_NONESSENTIAL_TRAFFIC: "1",
      DISABLE_TELEMETRY: "1",
      DISABLE_AUTOUPDATER: "1",
      DISABLE_ERROR_REPORTING: "1",
      // its terminal UI clones the official plugin marketplace from GitHub at start otherwise
      CLAUDE_CODE_DISABLE_OFFICIAL_MARKETPLACE_AUTOINSTALL: "1",
      IS_SANDBOX: "1",
      ...trustEnv(server),
    };
  },
  args(prompt: string, setup) {
    return ["-p", prompt, ...claudeProfile.interactiveArgs!(setup)];
  },
  interactiveArgs({ model, home, mcpServers }) {
    const mcp = mcpServers?.length
      ? ["--mcp-config", claudeMcpConfigPath(home), "--strict-mcp-config"]
      : [];
    return [
      "--allowedTools",
      "Bash,Read,Write",
      "--dangerously-skip-permissions",
      ...(model ? ["--model", model] : []),
      ...mcp,
    ];
  },
};

/** Where Claude Code finds its model API: the Anthropic API, Bedrock or Vertex AI. */
function claudeApiEnv(
  origin: string,
  provider: CloudProvider = "direct",
): Record<string, string> {
  switch (provider) {
    case "bedrock":
      return {
        CLAUDE_CODE_USE_BEDROCK: "1",
        ANTHROPIC_BEDROCK_BASE_URL: origin,
        CLAUDE_CODE_SKIP_BEDROCK_AUTH: "1",
        AWS_REGION: "us-east-1",
      };
    case "vertex":
      return {
        CLAUDE_CODE_USE_VERTEX: "1",
        ANTHROPIC_VERTEX_BASE_URL: `${origin}/v1`,
        CLAUDE_CODE_SKIP_VERTEX_AUTH: "1",
        ANTHROPIC_VERTEX_PROJECT_ID: "sightline-scripted",
        CLOUD_ML_REGION: "us-east5",
      };
    case "direct":
      return {
        ANTHROPIC_BASE_URL: origin,
        ANTHROPIC_API_KEY: FAKE_KEYS.anthropic,
      };
    default:
      throw new Error(
        `claude: no ${provider} provider (it runs on bedrock or vertex)`,
      );
  }
}
