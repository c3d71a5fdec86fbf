/**
 * How an agent that refuses root is started: the decisions (root runner, runAs, the agent's
 * refusal of root), the command line, and (as root) that a command started that way is not root
 * where it runs and still root's on the host.
 */
import assert from "node:assert/strict";
import { bothStarts, notRoot, refusedRoot, runAs } from "./agent_user.ts";
import { PROFILES } from "./run_agent.ts";

/** What Claude Code 1.0.0 prints, as root, before anything else (coverage matrix, 2026-12-05). */
const REFUSAL =
  "--dangerously-skip-permissions cannot be used with root/sudo privileges for security reasons\n";

Deno.test("a root runner starts the agent as asked, else as itself first; a user runner as itself", () => {
  assert.equal(runAs(undefined, 0), undefined);
  assert.equal(runAs("not-root", 0), "not-root");
  assert.equal(runAs("runner", 0), "runner");
  // a runner that is not root is not root already, whatever was asked
  assert.equal(runAs("not-root", 1000), "runner");
  assert.equal(runAs(undefined, null), "runner");
});

Deno.test("refusedRoot: the refusal printed, an exit that is not 0 and no request; nothing else", () => {
  const claude = PROFILES.claude.rootRefusal;
  const refused = { exitCode: 1, stdout: "", stderr: REFUSAL, requests: 0 };
  assert.equal(refusedRoot(claude, refused), true);
  assert.equal(refusedRoot(claude, { ...refused, stderr: "", stdout: REFUSAL }), true);
  // it ran: an exit of 0, a request made, killed (timed out), or not root already
  assert.equal(refusedRoot(claude, { ...refused, exitCode: 0 }), false);
  assert.equal(refusedRoot(claude, { ...refused, requests: 1 }), false);
  assert.equal(refusedRoot(claude, { ...refused, exitCode: null }), false);
  assert.equal(refusedRoot(claude, { ...refused, notRoot: true }), false);
  // another error, or an agent whose profile knows no refusal
  assert.equal(refusedRoot(claude, { ...refused, stderr: "Error: Invalid API key\n" }), false);
  assert.equal(refusedRoot(PROFILES.gemini.rootRefusal, refused), false);
});

Deno.test("Claude Code is the agent that may refuse root", () => {
  const refusing = Object.values(PROFILES).filter((p) => p.rootRefusal).map((p) => p.name);
  assert.deepEqual(refusing, ["claude"]);
});

Deno.test("notRoot puts unshare --user right before the agent", () => {
  assert.deepEqual(notRoot(["/bin/agent", "-p", "hi"]), [
    "unshare",
    "--user",
    "--",
    "/bin/agent",
    "-p",
    "hi",
  ]);
});

Deno.test({
  name:
    "as root: started that way a command is not root, yet reads root's 0700 files and writes root's",
  ignore: Deno.uid() !== 0,
  async fn() {
    const dir = await Deno.makeTempDir({ prefix: "sl-not-root-" }); // 0700, root's
    try {
      await Deno.writeTextFile(`${dir}/secret`, "only root's", { mode: 0o600 });
      const script = `id -u; cat ${dir}/secret; echo made > ${dir}/made`;
      const [cmd, ...args] = notRoot(["/bin/sh", "-c", script]);
      const out = await new Deno.Command(cmd, { args, cwd: dir }).output();
      assert.ok(out.success, new TextDecoder().decode(out.stderr));
      const [uid, text] = new TextDecoder().decode(out.stdout).trim().split("\n");
      assert.notEqual(uid, "0", "not root where it runs");
      assert.equal(text, "only root's");
      assert.equal((await Deno.stat(`${dir}/made`)).uid, 0, "what it makes is root's on the host");
    } finally {
      await Deno.remove(dir, { recursive: true });
    }
  },
});

Deno.test("bothStarts: a second start that ran says only its own; one that failed keeps the refusal first", () => {
  const first = { exitCode: 1, stdout: "", stderr: REFUSAL };
  assert.equal(bothStarts(first, { exitCode: 0, stderr: "warming up\n" }), "warming up\n");
  const denied = "unshare: unshare failed: Operation not permitted\n";
  assert.equal(
    bothStarts(first, { exitCode: 1, stderr: denied }),
    `[sightline] the agent refused to run as root (exit 1):\n${REFUSAL}` +
      "[sightline] started again where it is not root (unshare --user), it failed (exit 1):\n" +
      denied,
  );
  // the refusal printed on stdout, the second start killed
  assert.match(
    bothStarts({ ...first, stderr: "", stdout: REFUSAL }, { exitCode: null, stderr: "" }),
    /^\[sightline\] the agent refused .*\n--dangerously.*\n\[sightline\] .* \(killed\):\n$/,
  );
});

Deno.test({
  name:
    "as root where unshare --user is refused: the run's stderr keeps the agent's refusal and the second start's error",
  ignore: Deno.uid() !== 0,
  async fn() {
    const dir = await Deno.makeTempDir({ prefix: "sl-userns-refused-" });
    try {
      // a program that refuses root as Claude Code 1.0.0 does (its words, exit 1), else answers
      const agent = `${dir}/refuses-root`;
      await Deno.writeTextFile(
        agent,
        `#!/bin/sh\nif [ "$(id -u)" = 0 ]; then printf '%s' '${REFUSAL.trim()}' >&2; echo >&2; ` +
          "exit 1; fi\necho ran\n",
        { mode: 0o755 },
      );
      const script = `${dir}/run.ts`;
      await Deno.writeTextFile(
        script,
        `import { runAgent } from ${
          JSON.stringify(new URL("./run_agent.ts", import.meta.url).href)
        };
const r = await runAgent({
  agent: "claude",
  binary: ${JSON.stringify(agent)},
  scenario: { name: "t", prompt: "hi", turns: [{ text: "hello" }] },
  timeoutMs: 60_000,
});
console.log(JSON.stringify(r));
`,
      );
      // root in a user namespace that may make no other (as containers refuse unshare --user)
      const out = await new Deno.Command("unshare", {
        args: [
          "--user",
          "--map-root-user",
          "sh",
          "-c",
          'echo 0 > /proc/sys/user/max_user_namespaces && exec "$0" run -A --quiet "$1"',
          Deno.execPath(),
          script,
        ],
        stdout: "piped",
        stderr: "piped",
      }).output();
      const text = new TextDecoder();
      assert.ok(out.success, text.decode(out.stderr));
      const r = JSON.parse(text.decode(out.stdout).trim().split("\n").at(-1)!);
      assert.equal(r.exitCode, 1);
      assert.equal(r.notRoot, true);
      const { ms, ...refusal } = r.refusedRoot;
      assert.deepEqual(refusal, { exitCode: 1, stdout: "", stderr: REFUSAL });
      assert.ok(ms < 30_000, `the refusal seen as the agent exited, not at the timeout: ${ms} ms`);
      assert.match(
        r.stderr,
        new RegExp(
          "^\\[sightline\\] the agent refused to run as root \\(exit 1\\):\\n--dangerously-skip-" +
            "permissions cannot be used with root/sudo privileges for security reasons\\n" +
            "\\[sightline\\] started again where it is not root \\(unshare --user\\), it failed " +
            "\\(exit 1\\):\\nunshare: unshare failed: No space left on device\\n$",
        ),
      );
    } finally {
      await Deno.remove(dir, { recursive: true });
    }
  },
});
