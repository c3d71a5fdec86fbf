/**
 * The agent runner: runs the pinned real agents (Claude Code, Gemini CLI, Codex, opencode, Qwen
 * Code) offline against the scripted model server, each in an isolated HOME, and reports what
 * happened.
 */

export {
  PROFILES,
  runAgent,
  type RunAgentOptions,
  type RunAgentResult,
  RUNNERS,
  RUNS_DIR,
  type TerminalEnd,
  type TerminalRun,
} from "./run_agent.ts";
export {
  AGENT_NAMES,
  type AgentName,
  type AgentProfile,
  type AgentSetup,
  CLOUD_PROVIDERS,
  type CloudProvider,
  type CodexTransport,
  CORE_AGENTS,
  DEFAULT_CODEX_TRANSPORT,
  type RunnerName,
  type ServerInfo,
  trustEnv,
} from "./agent_profile.ts";
export { claudeProfile } from "./claude_profile.ts";
export { geminiProfile } from "./gemini_profile.ts";
export { CODEX_DEFAULT_MODEL, codexProfile } from "./codex_profile.ts";
export { OPENCODE_DEFAULT_MODEL, opencodeProfile } from "./opencode_profile.ts";
export { QWEN_DEFAULT_MODEL, qwenProfile } from "./qwen_profile.ts";
export { COPILOT_DEFAULT_MODEL, copilotProfile } from "./copilot_profile.ts";
export { withHostsFile } from "./hosts_namespace.ts";
export { type HttpProxy, type HttpProxyOptions, startHttpProxy } from "./http_proxy.ts";
export { underCapture } from "./under_capture.ts";
export {
  launcherScript,
  type LaunchSpec,
  type MemberResult,
  runTeam,
  type RunTeamOptions,
  type RunTeamResult,
  shQuote,
  type TeamMember,
} from "./multi_agent.ts";
