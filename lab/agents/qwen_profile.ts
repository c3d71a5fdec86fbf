/**
 * Qwen Code (`@qwen-code/qwen-code`, on Node; a Gemini CLI fork) against the scripted server
 * through its OpenAI-compatible client: `OPENAI_BASE_URL` is the server's `/v1` (Chat
 * Completions), with a placeholder `OPENAI_API_KEY` and `OPENAI_MODEL`; `~/.qwen/settings.json`
 * chooses that auth, turns usage statistics, telemetry, updates and the after-turn memory
 * extraction off, and names its MCP servers as the Gemini CLI does (`geminiMcpSettings`), with
 * `alwaysLoadTools` so that Qwen Code offers their tools directly as `mcp__SERVER__TOOL` rather
 * than behind its `tool_search`; `qwen -p PROMPT --yolo`.
 */

import { join } from "node:path";
import { agentBinary, type AgentProfile, FAKE_KEYS, trustEnv, writeJson } from "./agent_profile.ts";
import { geminiMcpSettings } from "./gemini_profile.ts";

export const QWEN_DEFAULT_MODEL = "qwen3-coder-plus";

/** The Gemini CLI's `mcpServers`, each with `alwaysLoadTools` (Qwen Code's own key). */
function qwenMcpSettings(mcpServers: Parameters<typeof geminiMcpSettings>[0]) {
  const { mcpServers: servers } = geminiMcpSettings(mcpServers);
  if (!servers) return {};
  return {
    mcpServers: Object.fromEntries(
      Object.entries(servers).map(([name, cfg]) => [name, {
        ...(cfg as Record<string, unknown>),
        alwaysLoadTools: true,
      }]),
    ),
  };
}

export const qwenProfile: AgentProfile = {
  name: "qwen",
  npmPackage: "@qwen-code/qwen-code",
  provider: "openai-chat",
  binary: agentBinary("qwen"),
  configuresMcp: true,
  async prepareHome({ home, mcpServers }) {
    await writeJson(join(home, ".qwen", "settings.json"), {
      security: { auth: { selectedType: "openai" } },
      privacy: { usageStatisticsEnabled: false },
      telemetry: { enabled: false },
      general: {
        enableAutoUpdate: false,
        disableAutoUpdate: true,
        disableUpdateNag: true,
      },
      // no memory-extraction subagent after the turn (a model request the script has no turn
      // for)
      memory: { enableManagedAutoMemory: false, enableTeamMemory: false },
      // its terminal UI: no follow-up suggestion after the turn (another such request, "[SUGGESTION
      // MODE: ...]") and no feedback dialog
      ui: { enableFollowupSuggestions: false, enableUserFeedback: false },
      // each server's tools offered to the model directly (`alwaysLoadTools`), not deferred
      // behind Qwen Code's own tool_search / tool_call bridge
      ...qwenMcpSettings(mcpServers),
    });
  },
  env({ home, server, model }) {
    return {
      HOME: home,
      OPENAI_BASE_URL: server.url,
      OPENAI_API_KEY: FAKE_KEYS.openai,
      OPENAI_MODEL: model ?? QWEN_DEFAULT_MODEL,
      QWEN_CODE_TRUST_WORKSPACE: "true",
      QWEN_CODE_SUPPRESS_YOLO_WARNING: "1",
      ...trustEnv(server),
    };
  },
  args(prompt: string, setup) {
    return ["-p", prompt, ...qwenProfile.interactiveArgs!(setup)];
  },
  interactiveArgs({ model }) {
    return ["--yolo", ...(model ? ["--model", model] : [])];
  },
};
