/**
 * The command line that resumes an agent's latest session in its working directory with a new
 * prompt, made from the one that started it (`AgentProfile.args`): Claude Code `-p P
 * --continue`, the Gemini CLI `-p P --resume latest`, Qwen Code and GitHub Copilot CLI `-p P
 * --continue`, Codex `exec ... resume --last P`, opencode `run --continue P`. So a capture can
 * hold a session and the process that resumed it (lab/integration/resume_capture_test.ts, the
 * coverage matrix's resume scenarios). A build older than its agent's resume has no such flag:
 * `resumeMissing` reads that from the build's own help.
 */
import type { RunnerName } from "./agent_profile.ts";

/** An option `flag` as a help lists it: at a line's start, maybe after its short form (`-c, `). */
function option(flag: string): RegExp {
  return new RegExp(`^\\s*(?:-\\w,\\s*)?${flag}(?![\\w-])`, "m");
}

/** The prompt option every help of these agents lists (`-p, --print` or `-p, --prompt`). */
const PROMPT = /^\s*-p,\s*--(?:print|prompt)(?![\w-])/m;

/** `argv` (the agent's, prompt `prompt`) made to resume its latest session with `again`. */
export function resumeArgs(
  agent: RunnerName,
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
    case "copilot":
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

/**
 * Where a build says it can resume (`resumeArgs`): the arguments that print the help naming the
 * resume, the pattern the help has when it does (the flag as an option of its own, at a line's
 * start, not a mention in another option's description), and what any help of the agent's has
 * (its prompt option or usage line), so a text that is no help (a crash's) tells nothing.
 */
export const RESUME_HELP: Readonly<
  Record<RunnerName, { args: readonly string[]; names: RegExp; flag: string; help: RegExp }>
> = {
  claude: { args: ["--help"], names: option("--continue"), flag: "--continue", help: PROMPT },
  qwen: { args: ["--help"], names: option("--continue"), flag: "--continue", help: PROMPT },
  copilot: { args: ["--help"], names: option("--continue"), flag: "--continue", help: PROMPT },
  gemini: { args: ["--help"], names: option("--resume"), flag: "--resume", help: PROMPT },
  // the `resume` subcommand of `codex exec`, listed under its commands
  codex: {
    args: ["exec", "--help"],
    names: /^\s+resume(?![\w-])/m,
    flag: "exec resume",
    help: /\bcodex exec\b/,
  },
  opencode: {
    args: ["run", "--help"],
    names: option("--continue"),
    flag: "run --continue",
    help: /\bopencode run\b/,
  },
};

/**
 * Why a build cannot resume a session as `resumeArgs` does, from its help (what its
 * `RESUME_HELP` arguments printed, and whether they exited 0), or undefined when the help names
 * the resume or tells nothing: a help that failed (an unmet Node engine, a SyntaxError) or is
 * not the agent's help, so the scenario is run and shows what the build does.
 */
export function resumeMissing(
  agent: RunnerName,
  help: { success: boolean; text: string },
): string | undefined {
  const h = RESUME_HELP[agent];
  if (!help.success || !h.help.test(help.text) || h.names.test(help.text)) return undefined;
  return `no ${h.flag} in this build (its \`${h.args.join(" ")}\` does not name it)`;
}

/** One shell command running `first`, then (when it succeeded) `then`. */
export function shellSequence(first: readonly string[], then: readonly string[]): string[] {
  const quote = (s: string) => `'${s.replaceAll("'", `'\\''`)}'`;
  return ["/bin/sh", "-c", `${first.map(quote).join(" ")} && ${then.map(quote).join(" ")}`];
}
