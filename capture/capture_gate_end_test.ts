/**
 * The gate at the capture's end: a traced process that outlives the command (a daemon it
 * started) and keeps mapping and running code the capture has not inspected is never left
 * stopped when the capture ends. The kernel side stops such a process until user space has
 * looked at the file; once the capture has ended nobody answers, so whatever the gate stopped
 * must have been resumed, and nothing may be stopped after that: at the command's end, and
 * when the capture process itself is killed (its loader carries on alone). Needs root (eBPF).
 */
import assert from "node:assert/strict";
import { skipWithoutRoot } from "../tests/support/ebpf.ts";
import { captureForTest } from "../tests/support/capture.ts";
import { stat } from "../kit/procs.ts";
import { captureCommand } from "./command_line.ts";
import { seededRandom } from "../kit/random.ts";
import { loaderOf } from "../tests/support/loader_of.ts";

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

/** The processes of process group `pgid`, with their state and name. */
function group(pgid: number): { pid: number; state: string; comm: string }[] {
  const out = [];
  for (const e of Deno.readDirSync("/proc")) {
    if (!/^\d+$/.test(e.name)) continue;
    const s = stat(Number(e.name));
    if (s && s.pgrp === pgid && s.state !== "Z") {
      out.push({ pid: Number(e.name), state: s.state, comm: s.comm });
    }
  }
  return out;
}

/** Ends every process of group `pgid`, stopped or not, and waits until none is left. */
async function endGroup(pgid: number) {
  for (let i = 0; i < 50 && group(pgid).length; i++) {
    try {
      Deno.kill(-pgid, "SIGKILL");
    } catch { /* gone */ }
    await sleep(20);
  }
  assert.deepEqual(group(pgid), [], "the daemon's processes are gone");
}

/**
 * The daemon: writes its pid (its process group: it runs in a session of its own) to
 * DIR/daemon.pid, then two workers map fresh files executable and one runs fresh copies of
 * /bin/true, each a file the capture has not inspected (a new inode), so the gate stops them
 * every time — during the capture, at its end and after it — until DIR/quit exists.
 */
const DAEMON = `
import mmap, os, shutil, subprocess, sys
d = sys.argv[1]
with open(f"{d}/daemon.pid", "w") as f:
    f.write(str(os.getpid()))
def mapper(w):
    i = 0
    while not os.path.exists(f"{d}/quit"):
        i += 1
        p = f"{d}/m{w}_{i}"
        with open(p, "wb") as f:
            f.write(b"\\0" * 4096)
        fd = os.open(p, os.O_RDONLY)
        mmap.mmap(fd, 4096, flags=mmap.MAP_PRIVATE, prot=mmap.PROT_READ | mmap.PROT_EXEC).close()
        os.close(fd)
def runner():
    i = 0
    while not os.path.exists(f"{d}/quit"):
        i += 1
        p = f"{d}/t{i}"
        shutil.copy("/bin/true", p)
        subprocess.run([p])
for work in (lambda: mapper(0), lambda: mapper(1), runner):
    if os.fork() == 0:
        work()
        os._exit(0)
for _ in range(3):
    os.wait()
`;

/**
 * The kernel programs are detached a while after the loader has drained what they produced, as
 * they can be on a busy machine (seen: a daemon's program left stopped for good); the daemon's
 * processes go on being gated meanwhile.
 */
const DELAY_VAR = "SIGHTLINE_TEST_DETACH_DELAY_MS";
const DELAY_MS = "300";

/**
 * The command: starts the daemon in DIR (no stdio of the command's), waits until it has copied
 * its fifth fresh /bin/true (four have run: it was gated while the capture runs, however long
 * it takes to start; the files an earlier capture found nothing to hook in, python's and the
 * shell's, are not stopped at), then lives `s` seconds more (as the sleep it becomes, so that
 * ending the command ends all of it).
 */
const command = (dir: string, s: number) => [
  "sh",
  "-c",
  `setsid python3 ${dir}/daemon.py ${dir} </dev/null >/dev/null 2>&1 & ` +
  `while [ ! -e ${dir}/t5 ]; do sleep 0.02; done; exec sleep ${s}`,
];

/** Starts a capture (`--quiet`) of `command(dir, 30)` into DIR/rec: it, and its stderr's text. */
function startCapture(dir: string) {
  const [deno, ...args] = captureCommand(`${dir}/rec`, command(dir, 30));
  const capture = new Deno.Command(deno, {
    args,
    stdin: "null",
    stdout: "null",
    stderr: "piped",
  }).spawn();
  return { capture, stderr: new Response(capture.stderr).text() };
}

/** The daemon's pid (its process group), once it has written it; else 0. */
async function daemonPid(dir: string): Promise<number> {
  return Number(await Deno.readTextFile(`${dir}/daemon.pid`).catch(() => "0"));
}

/** Runs `body` with the daemon's script in a new directory; ends the daemon whatever happens. */
async function withDaemon(body: (dir: string) => Promise<void>) {
  const dir = await Deno.makeTempDir({ prefix: "sl-gate-end-" });
  await Deno.writeTextFile(`${dir}/daemon.py`, DAEMON);
  try {
    await body(dir);
  } finally {
    await Deno.writeTextFile(`${dir}/quit`, "");
    let daemon = await daemonPid(dir);
    if (!daemon) {
      await sleep(500); // one that had not written its pid yet
      daemon = await daemonPid(dir);
    }
    if (daemon) await endGroup(daemon);
    await Deno.remove(dir, { recursive: true });
  }
}

/**
 * After the capture and its loader have gone (nothing stops the daemon any more, so a process
 * of it seen stopped now stays so for good): the daemon still runs, and none of it is stopped.
 */
async function assertNoneStopped(daemon: number) {
  await sleep(200);
  const procs = group(daemon);
  assert.ok(procs.length >= 4, `the daemon and its workers still run: ${JSON.stringify(procs)}`);
  const stopped = procs.filter((p) => p.state === "T").map((p) => `${p.pid} (${p.comm})`);
  assert.deepEqual(stopped, [], "no process of the daemon is left stopped");
}

Deno.test({
  name: "gate at the end: a daemon mapping and running fresh code across the capture's end " +
    "is never left stopped",
  ignore: skipWithoutRoot(),
  async fn() {
    const saved = Deno.env.get(DELAY_VAR);
    Deno.env.set(DELAY_VAR, DELAY_MS);
    try {
      await withDaemon(async (dir) => {
        const { res } = await captureForTest({ cmd: command(dir, 0.5), out: `${dir}/rec` });
        assert.equal(res.exitCode, 0);
        const gated = res.manifest.gated_processes;
        assert.ok(gated > 3, `the daemon was gated: ${gated}`);
        await assertNoneStopped(await daemonPid(dir));
      });
    } finally {
      saved === undefined ? Deno.env.delete(DELAY_VAR) : Deno.env.set(DELAY_VAR, saved);
    }
  },
});

Deno.test({
  name: "gate at the end: the capture process killed while a daemon is being gated: its " +
    "loader leaves none of the daemon stopped",
  ignore: skipWithoutRoot(),
  async fn() {
    await withDaemon(async (dir) => {
      const [deno, ...args] = captureCommand(`${dir}/rec`, command(dir, 30), []);
      const capture = new Deno.Command(deno, {
        args,
        stdin: "null",
        stdout: "null",
        stderr: "null",
        env: { [DELAY_VAR]: DELAY_MS },
      }).spawn();
      let loader = 0;
      try {
        // the daemon has been gated a while (the capture answering) when the capture dies
        for (let i = 0; i < 200 && !(await daemonPid(dir)); i++) await sleep(50);
        assert.ok(await daemonPid(dir), "the daemon started within 10 s");
        await sleep(500);
        loader = loaderOf(capture.pid);
      } finally {
        capture.kill("SIGKILL");
        await capture.status;
      }
      // the loader ends the command (SIGTERM) and then itself, the daemon left running
      const running = () => (stat(loader)?.state ?? "Z") !== "Z";
      for (let i = 0; i < 200 && running(); i++) await sleep(50);
      assert.ok(!running(), "the loader has ended within 10 s");
      await assertNoneStopped(await daemonPid(dir));
    });
  },
});

Deno.test({
  name: "gate at the end: the loader killed while a daemon is being gated: the capture " +
    "resumes what the gate stopped and says so",
  ignore: skipWithoutRoot(),
  async fn() {
    await withDaemon(async (dir) => {
      const { capture, stderr } = startCapture(dir);
      let code: number, took: number;
      try {
        // The daemon has been gated a while (the capture answering). Then the capture is
        // held (SIGSTOP: as busy inspecting a large binary) until each of the daemon's three
        // workers is stopped by the gate, waiting for its answer; nothing of the daemon runs
        // then, so the loader (killed as the OOM killer would) has passed every stop on.
        for (let i = 0; i < 200 && !(await daemonPid(dir)); i++) await sleep(50);
        const daemon = await daemonPid(dir);
        assert.ok(daemon, "the daemon started within 10 s");
        await sleep(500);
        Deno.kill(capture.pid, "SIGSTOP");
        const stopped = () => group(daemon).filter((p) => p.state === "T").length;
        for (let i = 0; i < 100 && stopped() < 3; i++) await sleep(50);
        assert.equal(stopped(), 3, "the daemon's 3 workers are stopped by the gate");
        const killedAt = performance.now();
        Deno.kill(loaderOf(capture.pid), "SIGKILL");
        Deno.kill(capture.pid, "SIGCONT");
        code = (await capture.status).code;
        took = performance.now() - killedAt;
      } finally {
        try {
          capture.kill("SIGKILL");
        } catch { /* ended */ }
      }
      const said = (await stderr).trim();
      assert.notEqual(code, 0, said);
      assert.ok(took < 5000, `the capture ended ${Math.round(took)} ms after its loader died`);
      assert.equal(said.split("\n").length, 1, `one line: ${said}`);
      const resumed =
        /^sightline: the capture's loader was killed by SIGKILL before the end; (\d+) process(?:es)? its gate had stopped (?:was|were) resumed \(pids? [\d, ]+\)/;
      assert.match(said, resumed);
      assert.equal(Number(said.match(resumed)![1]), 3, said);
      // the loader's watchdog resumed them too (the capture had been told of all three)
      assert.match(said, /; the loader's watchdog resumed 3 \(pids [\d, ]+\);/);
      const manifest = JSON.parse(await Deno.readTextFile(`${dir}/rec/manifest.json`));
      assert.equal(manifest.complete, false);
      assert.match(manifest.errors.at(-1), /loader was killed by SIGKILL.*its gate had stopped/);
      // the command (its sh and sleep) was ended, not left stopped
      const root = manifest.root_pid;
      for (let i = 0; i < 50 && (stat(root)?.state ?? "Z") !== "Z"; i++) await sleep(100);
      assert.equal(stat(root)?.state ?? "Z", "Z", `the command (pid ${root}) has ended`);
      await assertNoneStopped(await daemonPid(dir));
    });
  },
});

/**
 * The loader killed (SIGKILL, as the OOM killer does) at a random moment while the daemon's
 * three workers run fresh code as fast as they can (each a stop of the gate, a capture's answer
 * and a resume, many a second), again and again. A stop whose report was still in the kernel's
 * ring buffer as the loader died never reaches the capture; the loader's watchdog (bpf/watchdog.h)
 * holds the kernel's own list of the stops unanswered and resumes those too. Asserted: no process
 * of the daemon is stopped (state T) a second after the capture has ended, in any round; the
 * capture's one line says how many the gate had stopped were resumed; the watchdog is gone too.
 * SIGHTLINE_TEST_LOADER_KILLS sets the rounds, SIGHTLINE_TEST_SEED the moments' seed.
 */
Deno.test({
  name: "gate at the end: the loader killed at random moments, round after round, while a " +
    "daemon is being gated: none of it is left stopped, and the capture says what was resumed",
  ignore: skipWithoutRoot(),
  async fn() {
    const rounds = Number(Deno.env.get("SIGHTLINE_TEST_LOADER_KILLS") ?? "12");
    const seed = Number(Deno.env.get("SIGHTLINE_TEST_SEED") ?? "18");
    const rand = seededRandom(seed);
    const left: string[] = [], badLines: string[] = [];
    let resumedInAll = 0, unknownInAll = 0;
    for (let round = 0; round < rounds; round++) {
      await withDaemon(async (dir) => {
        const { capture, stderr } = startCapture(dir);
        let daemon = 0, watchdog = 0;
        const waitMs = Math.round(100 + rand() * 900);
        try {
          for (let i = 0; i < 200 && !(daemon = await daemonPid(dir)); i++) await sleep(50);
          assert.ok(daemon, "the daemon started within 10 s");
          await sleep(waitMs);
          const loader = loaderOf(capture.pid);
          watchdog = watchdogOf(loader);
          Deno.kill(loader, "SIGKILL");
          const code = (await capture.status).code;
          assert.notEqual(code, 0);
        } finally {
          try {
            capture.kill("SIGKILL");
          } catch { /* ended */ }
        }
        const said = (await stderr).trim();
        const n = said.match(/; (\d+) process(?:es)? its gate had stopped (?:was|were) resumed/);
        resumedInAll += n ? Number(n[1]) : 0;
        const u = said.match(/, (\d+) of them unknown to the capture/);
        unknownInAll += u ? Number(u[1]) : 0;
        await sleep(1000);
        const stopped = group(daemon).filter((p) => p.state === "T");
        if (stopped.length) {
          left.push(
            `round ${round} (killed after ${waitMs} ms): ${
              stopped.map((p) => `${p.pid} (${p.comm})`).join(", ")
            } stopped; the capture said: ${said}`,
          );
        }
        // one line, saying what was resumed, by whom; the watchdog has reported and gone
        const wrong = [
          said.split("\n").length !== 1 && "not one line",
          !/^sightline: the capture's loader was killed by SIGKILL before the end/.test(said) &&
          "not the loader's death",
          /did not report|stay stopped|are stopped with no stop/.test(said) && "a stop left",
          !watchdog && "no watchdog",
          watchdog && (stat(watchdog)?.state ?? "Z") !== "Z" && "the watchdog runs on",
        ].filter(Boolean);
        if (wrong.length) badLines.push(`round ${round}: ${wrong.join(", ")}: ${said}`);
      });
    }
    console.error(
      `${rounds} rounds (seed ${seed}): ${left.length} left a process stopped; ` +
        `${resumedInAll} resumed in all, ${unknownInAll} of them by the watchdog alone`,
    );
    assert.deepEqual(left, [], "no round left a process of the daemon stopped");
    assert.deepEqual(badLines, [], "each round's line says what was resumed, and by whom");
    assert.ok(resumedInAll > 0, "some rounds killed the loader with stops unanswered");
  },
});

/** The loader's watchdog (its child running as sightline-watchdog), or 0. */
function watchdogOf(loader: number): number {
  for (const t of Deno.readDirSync(`/proc/${loader}/task`)) {
    const kids = Deno.readTextFileSync(`/proc/${loader}/task/${t.name}/children`).trim();
    for (const k of kids ? kids.split(" ").map(Number) : []) {
      if (Deno.readTextFileSync(`/proc/${k}/cmdline`).startsWith("sightline-watchdog")) return k;
    }
  }
  return 0;
}
