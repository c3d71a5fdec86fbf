import { filePath } from "../../kit/file_path.ts";
import assert from "node:assert/strict";
import { join } from "node:path";
import { launcherScript, runTeam } from "./multi_agent.ts";

const ROOT = filePath("../..", import.meta.url);

Deno.test("launcher: starts members at once, each with only its environment, and records exits", async () => {
  const dir = await Deno.makeTempDir();
  const member = (
    name: string,
    script: string,
    env: Record<string, string>,
  ) => ({
    env,
    argv: ["/bin/sh", "-c", script],
    out: join(dir, `${name}.out`),
    err: join(dir, `${name}.err`),
    rc: join(dir, `${name}.rc`),
  });
  const members = [
    member("a", 'sleep 0.6; echo "a:$ROLE:${HOME-unset}"', { ROLE: "first" }),
    member("b", 'sleep 0.6; echo "b:$ROLE" >&2; exit 3', { ROLE: "second" }),
  ];
  const script = join(dir, "launch.sh");
  await Deno.writeTextFile(script, launcherScript(dir, members, 30));
  const t0 = performance.now();
  const r = await new Deno.Command("/bin/sh", { args: [script] }).output();
  const elapsed = performance.now() - t0;
  assert.equal(r.code, 3, "the first failing member's status");
  assert.ok(elapsed < 1100, `members ran one after another (${elapsed} ms)`);
  assert.equal(await Deno.readTextFile(members[0].out), "a:first:unset\n");
  assert.equal(await Deno.readTextFile(members[1].err), "b:second\n");
  assert.equal((await Deno.readTextFile(members[0].rc)).trim(), "0");
  assert.equal((await Deno.readTextFile(members[1].rc)).trim(), "3");
});

Deno.test("runTeam: two real agents at once in one workspace, each with its own scripted server", async () => {
  const workdir = await Deno.makeTempDir({ prefix: "sl-team-test-" });
  const r = await runTeam({
    workdir,
    members: [
      {
        name: "one",
        agent: "gemini",
        scenario: `${ROOT}lab/scenarios/text_hello.json`,
      },
      {
        name: "two",
        agent: "codex",
        scenario: `${ROOT}lab/scenarios/tool_marker.json`,
      },
    ],
    timeoutMs: 120_000,
  });
  assert.equal(
    r.exitCode,
    0,
    r.members.map((m) => m.stderr.slice(-500)).join("\n"),
  );
  const [one, two] = r.members;
  assert.equal(one.exitCode, 0);
  assert.equal(two.exitCode, 0);
  assert.match(one.stdout, /Hello from the Sightline scripted model/);
  assert.match(two.stdout, /token-[0-9a-f]{16}/);
  assert.ok(one.requests.some((q) => q.kind === "main"));
  assert.ok(two.requests.some((q) => q.kind === "main"));
  assert.deepEqual([...one.serverErrors, ...two.serverErrors], []);
  // the second agent's command ran in the shared workspace
  assert.match(
    await Deno.readTextFile(join(workdir, "marker.txt")),
    /^token-[0-9a-f]{16}$/,
  );
});
