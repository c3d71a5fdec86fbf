/** The command lines that resume each agent's session (resume_args.ts), from its own start. */
import assert from "node:assert/strict";
import { resumeArgs, shellSequence } from "./resume_args.ts";
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
