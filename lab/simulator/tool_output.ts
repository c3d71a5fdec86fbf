/**
 * Takes the command output out of the tool result text each agent sends back, which wraps it
 * differently: Codex's exec tool prefixes "Chunk ID / Wall time / Process exited with code /
 * Output:", the Gemini CLI wraps it in `<untrusted_context>` with "Output: … Process Group
 * PGID: …", Claude Code sends it bare (and numbers the lines of a file it read). Used for the
 * `{{tool_output}}` placeholder.
 */

const GEMINI_TRAILER =
  /\n(?:Error|Exit Code|Signal|Background PIDs|Process Group PGID): [^\n]*(?:\n(?:Error|Exit Code|Signal|Background PIDs|Process Group PGID): [^\n]*)*\s*$/;

/** The command output inside a tool result, without the agent's wrapper; trimmed. */
export function commandOutput(result: string): string {
  let text = result;
  // Codex legacy shell tool: a JSON object with "output".
  if (text.startsWith("{")) {
    try {
      const v = JSON.parse(text);
      if (v && typeof v.output === "string") text = v.output;
    } catch { /* not JSON */ }
  }
  const untrusted = /^\s*<untrusted_context>\n?([\s\S]*?)\n?<\/untrusted_context>\s*$/.exec(
    text,
  );
  if (untrusted) text = untrusted[1];
  // Codex exec_command / shell: header lines, then "Output:\n".
  const codex =
    /^(?:Chunk ID|Exit code|Wall time|Process exited|Original token count)[\s\S]*?\nOutput:\n([\s\S]*)$/
      .exec(text);
  if (codex) return codex[1].trim();
  // Gemini CLI run_shell_command.
  const gem = /(?:^|\n)Output: ([\s\S]*)$/.exec(text);
  if (gem) return gem[1].replace(GEMINI_TRAILER, "").trim();
  return stripLineNumbers(text).trim();
}

/** Removes `cat -n` style numbering ("1\tline", consecutive numbers) from every line. */
function stripLineNumbers(text: string): string {
  const lines = text.split("\n");
  const m = lines.map((l) => /^\s*(\d+)\t/.exec(l));
  if (m.some((x) => x === null)) return text;
  const first = Number(m[0]![1]);
  if (!m.every((x, i) => Number(x![1]) === first + i)) return text;
  return lines.map((l, i) => l.slice(m[i]![0].length)).join("\n");
}
