/** The command lines that resume each agent's session (resume_args.ts), from its own start. */
import assert from "node:assert/strict";
import { resumeArgs, resumeMissing, shellSequence } from "./resume_args.ts";
import { PROFILES } from "./run_agent.ts";
import type { AgentName } from "./agent_profile.ts";

const setup = {
  home: "/h",
  workdir: "/w",
  server: { origin: "https://s", url: "https://s/v1", caCertPath: "/ca", trustBundlePath: "/tb" },
};

Deno.test("each pinned agent's start becomes its resume, the prompt replaced", () => {
  const resumed = (agent: AgentName) =>
    resumeArgs(agent, PROFILES[agent].args("first prompt", setup), "first prompt", "again");
  assert.deepEqual(resumed("claude").slice(0, 3), ["-p", "again", "--continue"]);
  assert.deepEqual(resumed("gemini").slice(0, 4), ["-p", "again", "--resume", "latest"]);
  assert.deepEqual(resumed("qwen").slice(0, 3), ["-p", "again", "--continue"]);
  assert.deepEqual(resumed("opencode"), ["run", "--continue", "again"]);
  const codex = resumed("codex");
  assert.deepEqual(codex.slice(-3), ["resume", "--last", "again"]);
  assert.equal(codex[0], "exec");
  assert.ok(!codex.includes("first prompt"));
});

Deno.test("a command line without the prompt is refused in one line", () => {
  assert.throws(() => resumeArgs("claude", ["-p", "other"], "first prompt", "again"), /prompt/);
});

Deno.test("shellSequence quotes every argument and runs the second after the first succeeded", async () => {
  const [sh, c, script] = shellSequence(["echo", "it's one"], ["echo", "$HOME two"]);
  const out = await new Deno.Command(sh, { args: [c, script] }).output();
  assert.equal(new TextDecoder().decode(out.stdout), "it's one\n$HOME two\n");
  const failed = shellSequence(["false"], ["echo", "not run"]);
  const out2 = await new Deno.Command(failed[0], { args: failed.slice(1) }).output();
  assert.equal(new TextDecoder().decode(out2.stdout), "");
  assert.notEqual(out2.code, 0);
});

Deno.test("GitHub Copilot CLI resumes with --continue, the prompt replaced", () => {
  assert.deepEqual(
    resumeArgs("copilot", ["-p", "first prompt", "--allow-all-tools"], "first prompt", "again"),
    ["-p", "again", "--continue", "--allow-all-tools"],
  );
});

Deno.test("a build's help says whether it can resume; one without the flag is named n/a's reason", () => {
  const ok = (text: string) => ({ success: true, text });
  const P = "Options:\n  -p, --print  Print the response\n";
  assert.equal(
    resumeMissing("claude", ok(`${P}  -c, --continue  Continue the last one\n`)),
    undefined,
  );
  assert.match(resumeMissing("claude", ok(P))!, /no --continue in this build/);
  // a flag that merely begins with the name is not it
  assert.match(resumeMissing("copilot", ok(`${P}  --continue-on-error\n`))!, /--continue/);
  const G = "  -p, --prompt  Prompt\n";
  assert.equal(resumeMissing("gemini", ok(`${G}  -r, --resume  Resume a session\n`)), undefined);
  assert.match(resumeMissing("gemini", ok(`${G}  --checkpointing\n`))!, /no --resume/);
  const usage = "Usage: codex exec [OPTIONS] [PROMPT]\n";
  const codexHelp = `${usage}Commands:\n  resume  Resume a previous session\n  help  Print this\n`;
  assert.equal(resumeMissing("codex", ok(codexHelp)), undefined);
  assert.match(resumeMissing("codex", ok(usage))!, /exec resume/);
  assert.equal(
    resumeMissing(
      "opencode",
      ok("opencode run [message..]\n      --continue  continue the last\n"),
    ),
    undefined,
  );
});

Deno.test("a help that crashed or is no help tells nothing: the scenario is run, never n/a", () => {
  // an unmet Node engine: the launcher dies printing a SyntaxError, exit 1
  const crash = "file:///x/cli.js:12\n  x ??= 1\n    ^^^\nSyntaxError: Unexpected token '?='\n";
  assert.equal(resumeMissing("claude", { success: false, text: crash }), undefined);
  assert.equal(resumeMissing("gemini", { success: true, text: crash }), undefined);
  // a failed help that printed a real help is not read either
  assert.equal(
    resumeMissing("claude", { success: false, text: "  -p, --print  Print\n" }),
    undefined,
  );
});

Deno.test("a resume flag named only in another option's description is not the build's", () => {
  const help = "  -p, --print  Print\n  --fork-session  Use with --continue to fork\n";
  assert.match(resumeMissing("claude", { success: true, text: help })!, /no --continue/);
});
