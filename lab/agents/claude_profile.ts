/**
 * Claude Code (`@anthropic-ai/claude-code`, a native binary) against the scripted server:
 * `ANTHROPIC_BASE_URL` and a placeholder `ANTHROPIC_API_KEY`, non-essential traffic, telemetry,
 * auto-update and error reporting off, `claude -p PROMPT` with Bash/Read/Write allowed and
 * permissions skipped (`IS_SANDBOX=1` allows that as root).
 */

import { join } from "node:path";
import {
  type AgentProfile,
  AGENTS_BIN,
  type AgentSetup,
  FAKE_KEYS,
  trustEnv,
  writeJson,
} from "./agent_profile.ts";

export const claudeProfile: AgentProfile = {
  name: "claude",
  npmPackage: "@anthropic-ai/claude-code",
  provider: "anthropic",
  binary: join(AGENTS_BIN, "claude"),
  async prepareHome({ home }: AgentSetup) {
    await Deno.mkdir(join(home, ".claude"), { recursive: true });
    await writeJson(join(home, ".claude.json"), {
      hasCompletedOnboarding: true,
      autoUpdates: false,
      bypassPermissionsModeAccepted: true,
    });
    await writeJson(join(home, ".claude", "settings.json"), {
      includeCoAuthoredBy: false,
      permissions: { allow: ["Bash", "Read", "Write"] },
    });
  },
  env({ home, server }: AgentSetup) {
    return {
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
  args(prompt: string, { model }: AgentSetup) {
    return [
      "-p",
      prompt,
      "--allowedTools",
      "Bash,Read,Write",
      "--dangerously-skip-permissions",
      ...(model ? ["--model", model] : []),
    ];
  },
};
