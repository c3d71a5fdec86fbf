/**
 * Who an agent runs as: the decision (root runner, the profile's refusesRoot, runAs), the
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
  runsAsAgentUser,
} from "./agent_user.ts";
import { PROFILES } from "./run_agent.ts";

Deno.test("a root runner starts an agent that refuses root as the agent user, and only then", () => {
  assert.equal(runsAsAgentUser(true, 0), true);
  assert.equal(runsAsAgentUser(false, 0), false);
  assert.equal(runsAsAgentUser(undefined, 0), false);
  // a runner that is not root already runs it unprivileged (setpriv could not switch anyway)
  assert.equal(runsAsAgentUser(true, 1000), false);
  assert.equal(runsAsAgentUser(true, null), false);
  assert.equal(runsAsAgentUser(true, 1000, "agent-user"), false);
  // asked for: either way, whatever the profile says
  assert.equal(runsAsAgentUser(true, 0, "runner"), false);
  assert.equal(runsAsAgentUser(false, 0, "agent-user"), true);
});

Deno.test("Claude Code is the agent that refuses root; the others run as the runner", () => {
  const refusing = Object.values(PROFILES).filter((p) => p.refusesRoot).map((p) => p.name);
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
