/**
 * opencode (`opencode-ai`, a Bun binary) against the scripted server through its built-in
 * `anthropic` provider: `~/.config/opencode/opencode.json` points the provider's `baseURL` at
 * the server's `/v1` with a placeholder key, picks the model and declares it under the
 * provider's `models` (opencode 0.5.29's bundled list predates claude-sonnet-4-5, and offline
 * it cannot fetch models.dev: ProviderModelNotFoundError; a declared model is merged with what
 * the build knows of it, field by field), allows edits and shell commands
 * without asking, and turns sharing and auto-update off; models.dev is not fetched (the build's
 * own model list is used), and its MCP servers under `mcp` (`type: "local"` with the command
 * line and `environment`, `type: "remote"` with the URL and headers: opencode picks streamable
 * HTTP and falls back to HTTP+SSE itself; it offers their tools as `SERVER_TOOL`). Bun honours
 * `NODE_EXTRA_CA_CERTS`. `opencode run PROMPT`.
 */

import { join } from "node:path";
import { agentBinary, type AgentProfile, FAKE_KEYS, trustEnv, writeJson } from "./agent_profile.ts";

export const OPENCODE_DEFAULT_MODEL = "claude-sonnet-4-5";

export const opencodeProfile: AgentProfile = {
  name: "opencode",
  npmPackage: "opencode-ai",
  provider: "anthropic",
  binary: agentBinary("opencode"),
  configuresMcp: true,
  async prepareHome({ home, server, model, mcpServers }) {
    await writeJson(join(home, ".config", "opencode", "opencode.json"), {
      $schema: "https://opencode.ai/config.json",
      model: `anthropic/${model ?? OPENCODE_DEFAULT_MODEL}`,
      provider: {
        anthropic: {
          options: { baseURL: server.url, apiKey: FAKE_KEYS.anthropic },
          // declared, so a build whose bundled model list predates the model knows it (models.dev
          // is not fetched offline); a build that knows it keeps its own facts for it
          models: { [model ?? OPENCODE_DEFAULT_MODEL]: {} },
        },
      },
      permission: { edit: "allow", bash: "allow", webfetch: "allow" },
      share: "disabled",
      autoupdate: false,
      ...(mcpServers?.length
        ? {
          mcp: Object.fromEntries(mcpServers.map((m) => [
            m.name,
            m.url ? { type: "remote", url: m.url, headers: m.headers, enabled: true } : {
              type: "local",
              command: [m.command, ...m.args],
              environment: m.env,
              enabled: true,
            },
          ])),
        }
        : {}),
    });
  },
  env({ home, server }) {
    return {
      HOME: home,
      XDG_CONFIG_HOME: join(home, ".config"),
      XDG_DATA_HOME: join(home, ".local", "share"),
      XDG_STATE_HOME: join(home, ".local", "state"),
      XDG_CACHE_HOME: join(home, ".cache"),
      ANTHROPIC_API_KEY: FAKE_KEYS.anthropic,
      OPENCODE_DISABLE_MODELS_FETCH: "1",
      OPENCODE_DISABLE_AUTOUPDATE: "1",
      OPENCODE_DISABLE_SHARE: "1",
      OPENCODE_DISABLE_LSP_DOWNLOAD: "1",
      OPENCODE_DISABLE_DEFAULT_PLUGINS: "1",
      ...trustEnv(server),
    };
  },
  args(prompt: string) {
    return ["run", prompt];
  },
};
