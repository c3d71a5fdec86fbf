/**
 * `capture --pid` joining a program that is already running and makes an LLM call whose
 * User-Agent names no agent (Node's fetch: `node`), as a user attaches to an agent at work
 * (real eBPF, real node, the scripted model server): its exec came before the capture, so only
 * the `joined` row the capture writes at the join (capture/joined_rows.ts: its program and
 * command line from /proc) names it. The joined capture's `llm_calls.agent` is the name the same
 * program gets when the capture launches it, and no `llm` problem says a call is unnamed.
 */
import { filePath } from "../../kit/file_path.ts";
import assert from "node:assert/strict";
import { join } from "node:path";
import { loadScenario, startModelServer } from "../simulator/mod.ts";
import { skipWithoutRoot } from "../../tests/support/ebpf.ts";
import { CAPTURE_MAIN } from "../../capture/command_line.ts";
import { denoTask } from "../../analysis/testing.ts";

const SCENARIOS = filePath("../scenarios/", import.meta.url);
const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

/** waits for `gate`, then asks the model at `url` once (Node's fetch) and exits */
const SCRIPT = `
const fs = require("node:fs");
const [gate, url] = process.argv.slice(2);
(async () => {
  while (!fs.existsSync(gate)) await new Promise((r) => setTimeout(r, 50));
  const r = await fetch(url + "/chat/completions", {
    method: "POST",
    headers: { "content-type": "application/json", authorization: "Bearer sk-test" },
    body: JSON.stringify({ model: "gpt-4.1-mini", messages: [{ role: "user", content: "hi" }] }),
  });
  await r.text();
  process.exit(r.ok ? 0 : 1);
})();
`;

/** the agents of the recording's LLM calls, and its `llm` problems of source llm_calls */
async function agentsOf(rec: string) {
  const a = await denoTask(["analyze", "--quiet", rec]);
  assert.ok(a.code === 0, a.stderr);
  const q = async (sql: string) => {
    const r = await denoTask(["sql", rec, "--format", "json", "--", sql]);
    return JSON.parse(r.stdout) as Record<string, unknown>[];
  };
  return {
    agents: (await q("SELECT DISTINCT agent FROM llm_calls ORDER BY ALL")).map((r) => r.agent),
    unnamed: await q(
      "SELECT message FROM problems WHERE source = 'llm_calls' AND message NOT LIKE '% no price (%'",
    ),
  };
}

Deno.test({
  name: "capture --pid of a running program whose User-Agent names no agent: named by its " +
    "joined row as a launched capture names it",
  ignore: skipWithoutRoot(),
  async fn() {
    const tmp = await Deno.makeTempDir({ prefix: "sl-joined-agent-" });
    const server = await startModelServer({
      scenario: await loadScenario(join(SCENARIOS, "observer_label.json")),
    });
    const script = join(tmp, "acme-agent.js");
    await Deno.writeTextFile(script, SCRIPT);
    const env = { NODE_EXTRA_CA_CERTS: server.caCertPath };
    let target: Deno.ChildProcess | undefined;
    let capture: Deno.ChildProcess | undefined;
    try {
      // launched: the capture starts it (its gate open)
      const open = join(tmp, "open");
      await Deno.writeTextFile(open, "");
      const launched = await new Deno.Command(Deno.execPath(), {
        args: [
          "run",
          "-A",
          "--quiet",
          CAPTURE_MAIN,
          "--quiet",
          "--out",
          join(tmp, "launched"),
          "--",
          "node",
          script,
          open,
          server.url,
        ],
        env,
        stdout: "null",
        stderr: "piped",
      }).output();
      assert.equal(launched.code, 0, new TextDecoder().decode(launched.stderr).slice(-2000));
      const want = await agentsOf(join(tmp, "launched"));
      assert.equal(want.agents.length, 1, JSON.stringify(want));
      assert.notEqual(want.agents[0], null, "a launched capture names it");

      // joined: running before the capture, it asks once the capture has joined
      const gate = join(tmp, "go");
      target = new Deno.Command("node", {
        args: [script, gate, server.url],
        env,
        stdout: "null",
        stderr: "null",
      }).spawn();
      const pid = target.pid;
      // node has loaded (its TLS code mapped): /usr/bin/node has OpenSSL linked in, mapped at
      // its start; 0.5 s is ample for it to be running its script
      await sleep(500);
      const rec = join(tmp, "joined");
      capture = new Deno.Command(Deno.execPath(), {
        args: ["run", "-A", "--quiet", CAPTURE_MAIN, "--quiet", "--out", rec, "--pid", `${pid}`],
        env: { SIGHTLINE_DEBUG: "1" },
        stdout: "null",
        stderr: "piped",
      }).spawn();
      let said = "";
      const lines = capture.stderr.pipeThrough(new TextDecoderStream()).getReader();
      // a capture that stalls silently fails the test at the deadline instead of hanging it
      const deadline = sleep(60_000).then(() => ({ value: undefined, done: true }));
      while (!said.includes(" preattached ")) {
        const { value, done } = await Promise.race([lines.read(), deadline]);
        if (done) throw new Error(`the capture did not join: ${said}`);
        said += value;
      }
      const drain = (async () => {
        for (;;) {
          const { value, done } = await lines.read();
          if (done) return;
          said += value;
        }
      })();
      await Deno.writeTextFile(gate, "");
      assert.equal((await target.status).code, 0, "the program's call was answered");
      target = undefined;
      const ended = await Promise.race([capture.status, sleep(20_000).then(() => null)]);
      if (!ended) capture.kill("SIGINT");
      assert.equal((await capture.status).code, 0, said.slice(-2000));
      capture = undefined;
      await drain;
      const manifest = JSON.parse(await Deno.readTextFile(join(rec, "manifest.json")));
      assert.equal(manifest.mode, "pid");
      // it exited under the capture: nothing is said to run on
      assert.deepEqual(
        manifest.warnings.filter((w: string) => /had not exited/.test(w)),
        [],
        "an exit recorded",
      );
      const got = await agentsOf(rec);
      assert.deepEqual(got.agents, want.agents, "named as the launched capture names it");
      assert.deepEqual(got.unnamed, [], "no call is unnamed");
      // the joined row: what /proc showed it ran
      const r = await denoTask([
        "sql",
        rec,
        "--format",
        "json",
        "--",
        `SELECT pid, argv[2] AS script FROM process WHERE kind = 'joined'`,
      ]);
      assert.deepEqual(JSON.parse(r.stdout), [{ pid, script }]);
    } finally {
      try {
        target?.kill();
      } catch {
        // ended already: whatever failed above is the error reported
      }
      await target?.status;
      capture?.kill("SIGINT");
      await capture?.status;
      await server.close();
      await Deno.remove(tmp, { recursive: true });
    }
  },
});

Deno.test({
  name:
    "capture --pid of a process still running at Ctrl-C: the capture's warning and the analysis's running problem both name it",
  ignore: skipWithoutRoot(),
  async fn() {
    const tmp = await Deno.makeTempDir({ prefix: "sl-joined-running-" });
    const rec = join(tmp, "rec");
    // long enough to outlive a slow start on a loaded machine (CI): it is killed at the end
    const target = new Deno.Command("sleep", { args: ["600"], stdout: "null", stderr: "null" })
      .spawn();
    let capture: Deno.ChildProcess | undefined;
    try {
      capture = new Deno.Command(Deno.execPath(), {
        args: ["run", "-A", "--quiet", CAPTURE_MAIN, "--out", rec, "--pid", `${target.pid}`],
        env: { SIGHTLINE_DEBUG: "1" },
        stdout: "null",
        stderr: "piped",
      }).spawn();
      const lines = capture.stderr.pipeThrough(new TextDecoderStream()).getReader();
      let said = "";
      const deadline = sleep(60_000).then(() => ({ value: undefined, done: true }));
      // its signals are answered as the running program's from the phase `joined` on (before
      // it, a SIGINT interrupts the capture's start: 130)
      while (!/ ms joined \(/.test(said)) {
        const { value, done } = await Promise.race([lines.read(), deadline]);
        if (done) throw new Error(`the capture did not join: ${said}`);
        said += value;
      }
      capture.kill("SIGINT");
      for (;;) {
        const { value, done } = await lines.read();
        if (done) break;
        said += value;
      }
      assert.equal((await capture.status).code, 0, said.slice(-2000));
      capture = undefined;
      const warning = `1 traced process had not exited when the capture ended (pid ${target.pid} ` +
        "sleep): what it did afterwards is not recorded";
      const manifest = JSON.parse(await Deno.readTextFile(join(rec, "manifest.json")));
      assert.deepEqual(
        manifest.warnings.filter((w: string) => /had not exited/.test(w)),
        [warning],
      );
      const sql = await denoTask([
        "sql",
        "--format",
        "json",
        rec,
        "--",
        "SELECT message FROM problems WHERE kind = 'running'",
      ]);
      assert.equal(sql.code, 0, sql.stderr);
      assert.deepEqual(JSON.parse(sql.stdout), [{
        message: `1 traced process has no recorded exit (pid ${target.pid} sleep): still running ` +
          "when the capture ended, or the exit was lost; what it did afterwards is not recorded",
      }]);
    } finally {
      try {
        capture?.kill("SIGINT");
      } catch {
        // ended already
      }
      await capture?.status;
      try {
        target.kill();
      } catch {
        // ended already: whatever failed above is the error reported
      }
      await target.status;
      await Deno.remove(tmp, { recursive: true });
    }
  },
});
