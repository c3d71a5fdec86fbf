/**
 * How the command is run: in the directory the user ran the task from (INIT_CWD), as the
 * invoking user when started through sudo, with its exit code passed on; and Ctrl-C ends a
 * capture cleanly, with complete files.
 */
import assert from "node:assert/strict";
import { skipWithoutRoot } from "../tests/support/ebpf.ts";
import { captureForTest } from "../tests/support/capture.ts";
import { readRecording } from "./recording.ts";

const ROOT = new URL("..", import.meta.url).pathname;

Deno.test({
  name: "INIT_CWD and SUDO_UID/SUDO_GID: the command runs where and as whom the user is",
  ignore: skipWithoutRoot(),
  async fn() {
    const dir = await Deno.makeTempDir({ prefix: "sl-sudo-" });
    await Deno.chmod(dir, 0o777);
    const env = { INIT_CWD: dir, SUDO_UID: "65534", SUDO_GID: "65534" };
    const saved = Object.fromEntries(Object.keys(env).map((k) => [k, Deno.env.get(k)]));
    for (const [k, v] of Object.entries(env)) Deno.env.set(k, v);
    try {
      const { res, rec } = await captureForTest({
        cmd: ["sh", "-c", "id -u > whoami.txt; pwd >> whoami.txt; exit 3"],
      });
      assert.equal(res.exitCode, 3, "the command's exit code is passed on");
      assert.equal(await Deno.readTextFile(`${dir}/whoami.txt`), `65534\n${dir}\n`);
      const exec = rec.process.find((p) => p.kind === "exec" && p.pid === rec.manifest.root_pid)!;
      assert.equal(exec.uid, 65534);
      assert.equal(exec.cwd, dir);
      assert.equal(rec.manifest.exit_code, 3);
      const st = await Deno.stat(`${dir}/whoami.txt`);
      assert.equal(st.uid, 65534, "files it makes belong to the user");
    } finally {
      for (const [k, v] of Object.entries(saved)) {
        v === undefined ? Deno.env.delete(k) : Deno.env.set(k, v);
      }
    }
  },
});

Deno.test({
  name: "Ctrl-C (SIGINT to the foreground group) ends command and capture cleanly",
  ignore: skipWithoutRoot(),
  async fn() {
    const dir = await Deno.makeTempDir({ prefix: "sl-int-" });
    // setsid: a process group of its own, like a terminal's foreground job
    const p = new Deno.Command("setsid", {
      args: [
        Deno.execPath(),
        "run",
        "-A",
        "--quiet",
        `${ROOT}capture/main.ts`,
        "--out",
        `${dir}/rec`,
        "--quiet",
        "--",
        "sleep",
        "60",
      ],
      stdout: "null",
      stderr: "piped",
    }).spawn();
    let sleepPid = 0;
    for (let i = 0; i < 100 && !sleepPid; i++) {
      await new Promise((r) => setTimeout(r, 100));
      const ps = await new Deno.Command("pgrep", {
        args: ["-x", "-s", String(p.pid), "sleep"],
        stdout: "piped",
      })
        .output();
      sleepPid = Number(new TextDecoder().decode(ps.stdout).trim().split("\n")[0] || 0);
    }
    assert.ok(sleepPid > 0, "the command started");
    await new Deno.Command("kill", { args: ["-s", "INT", "--", `-${p.pid}`] }).output();
    const st = await p.status;
    assert.equal(st.code, 130, "128 + SIGINT, the command's fate");
    const rec = readRecording(`${dir}/rec`);
    assert.equal(rec.manifest.complete, true);
    assert.equal(rec.manifest.exit_signal, 2);
    assert.ok(
      rec.process.some((r) => r.kind === "exit" && r.pid === sleepPid && r.exit_signal === 2),
    );
  },
});
