/**
 * How the command is run: in the directory the user ran the task from (INIT_CWD), as the
 * invoking user when started through sudo, with its exit code passed on; and Ctrl-C ends a
 * capture cleanly, with complete files.
 */
import { filePath } from "../kit/file_path.ts";
import assert from "node:assert/strict";
import { skipWithoutRoot } from "../tests/support/ebpf.ts";
import { CAPTURE_MAIN, captureCommand } from "./command_line.ts";
import { captureForTest, untilExists } from "../tests/support/capture.ts";
import { readRecording } from "../recording/recording.ts";

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

/**
 * Runs ARGV in a pseudo-terminal, types Ctrl-C once MARKER exists (or, with the first
 * argument "kill", sends SIGINT to the capture's process alone), and reports how it ended.
 */
const PTY_CTRL_C = `
import os, pty, signal, sys, time, json
kill = sys.argv[1] == "kill"
marker, argv = sys.argv[2], sys.argv[3:]
pid, fd = pty.fork()
if pid == 0:
    os.execvp(argv[0], argv)
out = b""
deadline = time.time() + 30
typed = False
while True:
    if not typed and os.path.exists(marker):
        time.sleep(0.3)
        if kill:
            os.kill(pid, signal.SIGINT)  # to the capture alone, not through the terminal
        else:
            os.write(fd, b"\x03")  # the terminal turns this into SIGINT for its foreground job
        typed = True
    try:
        import select
        r, _, _ = select.select([fd], [], [], 0.1)
        if r:
            out += os.read(fd, 65536)
    except OSError:
        break
    done, status = os.waitpid(pid, os.WNOHANG)
    if done:
        break
    if time.time() > deadline:
        os.kill(pid, 9)
        break
_, status = (pid, status) if done else os.waitpid(pid, 0)
print(json.dumps({"exit": os.waitstatus_to_exitcode(status), "typed": typed, "out": out.decode(errors="replace")}))
`;

/**
 * Captures `sh` (it marks its start, then sleeps `seconds`) on a terminal made by PTY_CTRL_C,
 * which then types Ctrl-C (`type`) or sends SIGINT to the capture alone (`kill`), in a new
 * directory named by `prefix`: PTY_CTRL_C's report, and the recording.
 */
async function interruptedOnTerminal(how: "type" | "kill", prefix: string, seconds: number) {
  const dir = await Deno.makeTempDir({ prefix });
  const marker = `${dir}/started`;
  const r = await new Deno.Command("/usr/bin/python3", {
    args: [
      "-c",
      PTY_CTRL_C,
      how,
      marker,
      ...captureCommand(`${dir}/rec`, ["sh", "-c", `touch ${marker}; exec sleep ${seconds}`], []),
    ],
    stdout: "piped",
  }).output();
  const res = JSON.parse(new TextDecoder().decode(r.stdout));
  assert.ok(res.typed, "the command started");
  assert.equal(res.exit, 130, `128 + SIGINT, the command's fate; output:\n${res.out}`);
  return { dir, res, rec: readRecording(`${dir}/rec`) };
}

Deno.test({
  name: "Ctrl-C on a terminal reaches the command, and the capture ends cleanly",
  ignore: skipWithoutRoot(),
  async fn() {
    const { res, rec } = await interruptedOnTerminal("type", "sl-int-", 60);
    assert.match(res.out, /recording in .*rec/, "capture lived to print its summary");
    assert.equal(rec.manifest.complete, true);
    assert.equal(rec.manifest.exit_signal, 2);
    const sleep = rec.process.find((p) => p.kind === "exec" && p.comm === "sleep")!;
    assert.ok(sleep, "the command's exec was recorded");
    assert.ok(
      rec.process.some((p) => p.kind === "exit" && p.pid === sleep.pid && p.exit_signal === 2),
    );
  },
});

Deno.test({
  name: "SIGINT to the capture alone, its command on a terminal: passed on to the command, " +
    "which decides, as for Ctrl-C",
  ignore: skipWithoutRoot(),
  async fn() {
    const { dir, rec } = await interruptedOnTerminal("kill", "sl-int-kill-", 20);
    assert.equal(rec.manifest.complete, true);
    assert.equal(rec.manifest.exit_signal, 2);
    assert.deepEqual(rec.manifest.errors, []);
    await Deno.remove(dir, { recursive: true });
  },
});

Deno.test({
  name: "SIGINT to the capture alone, no terminal: one line says it was left to the command; " +
    "a second ends the command and the capture cleanly",
  ignore: skipWithoutRoot(),
  async fn() {
    const dir = await Deno.makeTempDir({ prefix: "sl-int-bg-" });
    const marker = `${dir}/started`;
    // in a session of its own, as a supervisor or a script starts it: the command shares the
    // capture's process group and a SIGINT sent to the capture's pid does not reach it
    const child = new Deno.Command("setsid", {
      args: captureCommand(`${dir}/rec`, ["sh", "-c", `touch ${marker}; exec sleep 20`], []),
      stdin: "null",
      stdout: "piped",
      stderr: "piped",
    }).spawn();
    const t0 = Date.now();
    await untilExists(marker, 20_000, 50);
    await new Promise((r) => setTimeout(r, 300));
    child.kill("SIGINT");
    await new Promise((r) => setTimeout(r, 1000));
    child.kill("SIGINT");
    const out = await child.output();
    const stderr = new TextDecoder().decode(out.stderr);
    assert.ok(Date.now() - t0 < 15_000, "ended by the interrupts, not by the command's end");
    assert.match(
      stderr,
      /^sightline: interrupt left to the command \(pid \d+\), which shares the capture's process group; another one ends it and the capture$/m,
    );
    assert.equal(out.code, 143, `the command ended by SIGTERM, as for SIGTERM; ${stderr}`);
    const rec = readRecording(`${dir}/rec`);
    assert.equal(rec.manifest.complete, true, stderr);
    assert.equal(rec.manifest.exit_signal, 15);
    assert.deepEqual(rec.manifest.errors, []);
    await Deno.remove(dir, { recursive: true });
  },
});

Deno.test({
  name: "two captures started in the same second: each its own default recording directory",
  ignore: skipWithoutRoot(),
  async fn() {
    const tmp = await Deno.makeTempDir({ prefix: "sl-twins-" });
    // a command of a name no other recording has, so its recordings are found by it
    const name = `sl-twin-${Deno.pid}`;
    const cmd = `${tmp}/${name}`;
    await Deno.writeTextFile(cmd, '#!/bin/sh\necho $$ > "$1"\n');
    await Deno.chmod(cmd, 0o755);
    const recordings = filePath("../recordings/", import.meta.url);
    const mine = () => {
      try {
        return [...Deno.readDirSync(recordings)].map((e) => e.name)
          .filter((n) => n.includes(`-${name}`)).sort();
      } catch {
        return [];
      }
    };
    try {
      // just after a second begins, so that both start in it
      while (Date.now() % 1000 > 100) await new Promise((r) => setTimeout(r, 10));
      const runs = await Promise.all([1, 2].map((i) =>
        new Deno.Command(Deno.execPath(), {
          args: ["run", "-A", "--quiet", CAPTURE_MAIN, "--quiet", "--", cmd, `${tmp}/pid${i}`],
          stdout: "piped",
          stderr: "piped",
        }).output()
      ));
      for (const r of runs) assert.equal(r.code, 0, new TextDecoder().decode(r.stderr));
      const dirs = mine();
      assert.equal(dirs.length, 2, `two recordings: ${dirs.join(" ")}`);
      const stamps = dirs.map((d) => d.slice(0, 15));
      if (stamps[0] === stamps[1]) {
        assert.deepEqual(dirs, [`${stamps[0]}-${name}`, `${stamps[0]}-${name}-2`]);
      }
      // each recording is its own command's, whole
      const pids = [1, 2].map((i) => Number(Deno.readTextFileSync(`${tmp}/pid${i}`).trim()));
      const roots = dirs.map((d) => readRecording(`${recordings}${d}`).manifest.root_pid).sort();
      assert.deepEqual(roots, pids.sort());
    } finally {
      for (const d of mine()) await Deno.remove(`${recordings}${d}`, { recursive: true });
      await Deno.remove(tmp, { recursive: true });
    }
  },
});
