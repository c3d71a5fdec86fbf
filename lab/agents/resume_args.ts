/**
 * The command line that resumes an agent's latest session in its working directory with a new
 * prompt, made from the one that started it (`AgentProfile.args`): Claude Code `-p P
 * --continue`, the Gemini CLI and Qwen Code `-p P --resume latest`, Codex `exec ... resume
 * --last P`, opencode `run --continue P`. So a capture can hold a session and the process that
 * resumed it (lab/integration/resume_capture_test.ts).
 */
import type { AgentName } from "./agent_profile.ts";

/** `argv` (the agent's, prompt `prompt`) made to resume its latest session with `again`. */
export function resumeArgs(
  agent: AgentName,
  argv: readonly string[],
  prompt: string,
  again: string,
): string[] {
  const at = argv.lastIndexOf(prompt);
  if (at < 1) throw new Error(`${agent}: the prompt is not in ${JSON.stringify(argv)}`);
  const before = argv.slice(0, at);
  const after = argv.slice(at + 1);
  switch (agent) {
    case "claude":
    case "qwen":
      return [...before, again, "--continue", ...after];
    case "gemini":
      return [...before, again, "--resume", "latest", ...after];
    case "codex":
      return [...before, "resume", "--last", again, ...after];
    case "opencode":
      return [...before, "--continue", again, ...after];
    default:
      throw new Error(`${agent}: no way to resume a session is known`);
  }
}

/** One shell command running `first`, then (when it succeeded) `then`. */
export function shellSequence(first: readonly string[], then: readonly string[]): string[] {
  const quote = (s: string) => `'${s.replaceAll("'", `'\\''`)}'`;
  return ["/bin/sh", "-c", `${first.map(quote).join(" ")} && ${then.map(quote).join(" ")}`];
}
