/**
 * Who an agent runs as: the decisions (root runner, runAs, the agent's refusal of root), the
 * passwd lookup, the setpriv command line, and (as root) the user made on demand and the files
 * handed to it.
 */
import assert from "node:assert/strict";
import {
  AGENT_USER,
  asUser,
  chownTree,
  ensureAgentUser,
  passwdEntry,
  refusedRoot,
  runAs,
} from "./agent_user.ts";
import { PROFILES } from "./run_agent.ts";

/** What Claude Code 1.0.0 prints, as root, before anything else (coverage matrix, 2026-12-05). */
const REFUSAL =
  "--dangerously-skip-permissions cannot be used with root/sudo privileges for security reasons\n";

Deno.test("a root runner starts the agent as asked, else as itself first; a user runner as itself", () => {
  assert.equal(runAs(undefined, 0), undefined);
  assert.equal(runAs("agent-user", 0), "agent-user");
  assert.equal(runAs("runner", 0), "runner");
  // setpriv could not switch: a runner that is not root runs it as itself, whatever was asked
  assert.equal(runAs("agent-user", 1000), "runner");
  assert.equal(runAs(undefined, null), "runner");
});

Deno.test("refusedRoot: the refusal printed, an exit that is not 0 and no request; nothing else", () => {
  const claude = PROFILES.claude.rootRefusal;
  const refused = { exitCode: 1, stdout: "", stderr: REFUSAL, requests: 0 };
  assert.equal(refusedRoot(claude, refused), true);
  assert.equal(refusedRoot(claude, { ...refused, stderr: "", stdout: REFUSAL }), true);
  // it ran: an exit of 0, a request made, killed (timed out), or already the agent user
  assert.equal(refusedRoot(claude, { ...refused, exitCode: 0 }), false);
  assert.equal(refusedRoot(claude, { ...refused, requests: 1 }), false);
  assert.equal(refusedRoot(claude, { ...refused, exitCode: null }), false);
  const user = { name: AGENT_USER, uid: 999, gid: 995 };
  assert.equal(refusedRoot(claude, { ...refused, user }), false);
  // another error, or an agent whose profile knows no refusal
  assert.equal(refusedRoot(claude, { ...refused, stderr: "Error: Invalid API key\n" }), false);
  assert.equal(refusedRoot(PROFILES.gemini.rootRefusal, refused), false);
});

Deno.test("Claude Code is the agent that may refuse root", () => {
  const refusing = Object.values(PROFILES).filter((p) => p.rootRefusal).map((p) => p.name);
  assert.deepEqual(refusing, ["claude"]);
});

Deno.test("passwdEntry reads a name's uid and gid, and nothing from a look-alike", () => {
  const passwd = "root:x:0:0:root:/root:/bin/bash\n" +
    "sightline-agent2:x:998:994::/nonexistent:/usr/sbin/nologin\n" +
    "sightline-agent:x:999:995:Sightline agents:/nonexistent:/usr/sbin/nologin\n";
  assert.deepEqual(passwdEntry(passwd, AGENT_USER), { name: AGENT_USER, uid: 999, gid: 995 });
  assert.equal(passwdEntry(passwd, "sightline"), undefined);
  assert.equal(passwdEntry("sightline-agent:x:abc:1:::\n", AGENT_USER), undefined);
  assert.equal(passwdEntry("sightline-agent:x:1\n", AGENT_USER), undefined);
});

Deno.test("asUser puts setpriv (uid, gid, the user's groups) right before the agent", () => {
  assert.deepEqual(asUser(["/bin/agent", "-p", "hi"], { name: "u", uid: 999, gid: 995 }), [
    "setpriv",
    "--reuid=999",
    "--regid=995",
    "--init-groups",
    "--",
    "/bin/agent",
    "-p",
    "hi",
  ]);
});

Deno.test({
  name:
    "as root: the agent user is made once and runs a command as itself; chownTree hands a tree over",
  ignore: Deno.uid() !== 0,
  async fn() {
    const user = await ensureAgentUser();
    assert.deepEqual(await ensureAgentUser(), user, "the same user the second time");
    assert.notEqual(user.uid, 0);
    const dir = await Deno.makeTempDir({ prefix: "sl-agent-user-" });
    try {
      await Deno.mkdir(`${dir}/a/b`, { recursive: true });
      await Deno.writeTextFile(`${dir}/a/b/f`, "x");
      await Deno.symlink("/etc/passwd", `${dir}/a/link`);
      await chownTree(dir, user);
      for (const p of [dir, `${dir}/a`, `${dir}/a/b`, `${dir}/a/b/f`]) {
        assert.equal((await Deno.stat(p)).uid, user.uid, p);
      }
      assert.equal((await Deno.stat("/etc/passwd")).uid, 0, "links are not followed");
      const [cmd, ...args] = asUser(["/usr/bin/id", "-u"], user);
      const out = await new Deno.Command(cmd, { args, cwd: dir }).output();
      assert.equal(new TextDecoder().decode(out.stdout).trim(), String(user.uid));
    } finally {
      await Deno.remove(dir, { recursive: true });
    }
  },
});
