/**
 * Capture under faults, each as a user would meet it, through the command line: the loader
 * killed mid-run, the capture itself killed (nothing left attached), two captures at once on
 * overlapping commands, a ring buffer overflowing under an event storm (drops counted per
 * kind, the recording still readable), and a traced command that execs a setuid binary.
 * Needs root (eBPF).
 */
import assert from "node:assert/strict";
import { probes, skipWithoutRoot } from "../tests/support/ebpf.ts";
import { readArrowFile } from "../recording/arrow_reader.ts";
import { alive, descendants, procOf, stat } from "../kit/procs.ts";
import { captureCommand } from "./command_line.ts";
import { type FileStamp, NOTHING_TO_HOOK_MAX, readNothingToHook } from "./inspect_cache.ts";
import { loaderOf } from "../tests/support/loader_of.ts";

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

/** Starts `capture` on a command; stderr is collected. */
function capture(
  out: string,
  cmd: string[],
  opts: { env?: Record<string, string>; flags?: string[] } = {},
) {
  const [deno, ...args] = captureCommand(out, cmd, opts.flags ?? []);
  const child = new Deno.Command(deno, {
    args,
    stdin: "null",
    stdout: "null",
    stderr: "piped",
    env: opts.env,
  }).spawn();
  const stderr = new Response(child.stderr).text();
  return {
    child,
    async done() {
      const st = await child.status;
      return { code: st.code, stderr: (await stderr).trim() };
    },
  };
}

/** Whether `pid` is still running (not gone, not a zombie). */
function isRunning(pid: number): boolean {
  const p = procOf(pid);
  return !!p && alive(p);
}

async function until(what: string, ms: number, f: () => boolean | Promise<boolean>) {
  const end = performance.now() + ms;
  while (!(await f())) {
    if (performance.now() > end) throw new Error(`timed out waiting for ${what}`);
    await sleep(100);
  }
}

async function exists(path: string) {
  try {
    await Deno.stat(path);
    return true;
  } catch {
    return false;
  }
}

/** A shell loop reading /etc/hostname for about `s` seconds, its pid written to `marker`. */
const loop = (marker: string, s: number) => [
  "bash",
  "-c",
  `echo $$ > ${marker}; for i in $(seq 1 ${
    s * 20
  }); do cat /etc/hostname >/dev/null; sleep 0.05; done`,
];

/** Our programs still loaded: those not there before the test. */
async function leftOver(before: Set<number>) {
  const now = await probes();
  const ours = now.progs.filter((id) => !before.has(id));
  return { progs: ours, links: (await probes(ours)).links };
}

Deno.test({
  name: "faults: the loader killed mid-run is one error line, a non-zero exit, and what arrived",
  ignore: skipWithoutRoot(),
  async fn() {
    const dir = await Deno.makeTempDir({ prefix: "sl-faults-" });
    const before = new Set((await probes()).progs);
    const c = capture(`${dir}/rec`, loop(`${dir}/pid`, 10), { flags: ["--quiet"] });
    await until("the command", 20_000, () => exists(`${dir}/pid`));
    await sleep(1500);
    Deno.kill(loaderOf(c.child.pid), "SIGKILL");
    const r = await c.done();
    const cmdPid = Number((await Deno.readTextFile(`${dir}/pid`)).trim());

    assert.equal(r.code, 1, r.stderr);
    assert.equal(r.stderr.split("\n").length, 1, `one line: ${r.stderr}`);
    const last = r.stderr;
    assert.match(last, /^sightline: the capture's loader was killed by SIGKILL before the end/);
    assert.match(last, new RegExp(`the command \\(pid ${cmdPid}\\) was ended`));
    const manifest = JSON.parse(await Deno.readTextFile(`${dir}/rec/manifest.json`));
    assert.equal(manifest.complete, false);
    assert.match(manifest.errors.join("\n"), /loader was killed by SIGKILL/);
    const { rows, damaged } = readArrowFile(`${dir}/rec/file.arrow`);
    assert.equal(damaged, undefined);
    assert.ok(rows.some((f) => f.path === "/etc/hostname"), "events before the kill are kept");
    // the command, now unrecorded, was ended; nothing of the capture stays attached
    await until("the command to end", 5000, () => !isRunning(cmdPid));
    await until("no program left", 5000, async () => (await leftOver(before)).progs.length === 0);
    await Deno.remove(dir, { recursive: true });
  },
});

Deno.test({
  name: "faults: the capture killed with SIGKILL leaves no eBPF program or link attached",
  ignore: skipWithoutRoot(),
  async fn() {
    const dir = await Deno.makeTempDir({ prefix: "sl-faults-" });
    const before = new Set((await probes()).progs);
    const c = capture(`${dir}/rec`, loop(`${dir}/pid`, 10));
    await until("the command", 20_000, () => exists(`${dir}/pid`));
    await sleep(1000);
    const running = await leftOver(before);
    assert.ok(running.progs.length > 0 && running.links > 0, "the capture attached its programs");
    const loader = loaderOf(c.child.pid);
    c.child.kill("SIGKILL");
    await c.done();
    await until("the loader to go", 5000, () => !isRunning(loader));
    await until("its programs to go", 5000, async () => {
      const left = await leftOver(before);
      return left.progs.length === 0 && left.links === 0;
    });
    await Deno.remove(dir, { recursive: true });
  },
});

Deno.test({
  name: "faults: two captures at once on overlapping commands each record their own",
  ignore: skipWithoutRoot(),
  async fn() {
    const dir = await Deno.makeTempDir({ prefix: "sl-faults-" });
    const cmd = (n: number) => [
      "bash",
      "-c",
      `for i in $(seq 1 20); do cat /etc/hostname >/dev/null; sleep 0.05; done; ` +
      `touch ${dir}/mine-${n}; cat /etc/os-release >/dev/null`,
    ];
    const [a, b] = [capture(`${dir}/rec1`, cmd(1)), capture(`${dir}/rec2`, cmd(2))];
    const [ra, rb] = await Promise.all([a.done(), b.done()]);
    for (const [n, r] of [[1, ra], [2, rb]] as const) {
      assert.equal(r.code, 0, r.stderr);
      const rec = `${dir}/rec${n}`;
      const manifest = JSON.parse(await Deno.readTextFile(`${rec}/manifest.json`));
      assert.equal(manifest.complete, true);
      assert.deepEqual(manifest.drops, {});
      const paths = new Set(readArrowFile(`${rec}/file.arrow`).rows.map((f) => f.path));
      assert.ok(
        paths.has("/etc/hostname") && paths.has("/etc/os-release"),
        `rec${n}: shared files`,
      );
      assert.ok(paths.has(`${dir}/mine-${n}`), `rec${n} has its command's own file`);
      assert.ok(!paths.has(`${dir}/mine-${3 - n}`), `rec${n} has nothing of the other command`);
      const execs = readArrowFile(`${rec}/process.arrow`).rows.filter((p) => p.kind === "exec");
      assert.equal(execs.filter((p) => p.filename === "/usr/bin/touch").length, 1);
    }
    await Deno.remove(dir, { recursive: true });
  },
});

Deno.test({
  name: "faults: an event storm that overflows the ring buffer: drops counted per kind, shown, " +
    "and the recording readable",
  ignore: skipWithoutRoot(),
  async fn() {
    const dir = await Deno.makeTempDir({ prefix: "sl-faults-" });
    // open+close+unlink as fast as Python goes, until told to stop; its count of operations
    // in a file it keeps open (writes through a descriptor are not recorded)
    const storm = `
import os, time
open("${dir}/pid", "w").write(str(os.getpid()))
count = os.open("${dir}/count", os.O_CREAT | os.O_WRONLY)
p = "${dir}/f"
n = 0
end = time.time() + 60
while time.time() < end and not os.path.exists("${dir}/stop"):
    for _ in range(1000):
        os.close(os.open(p, os.O_CREAT | os.O_WRONLY))
        os.unlink(p)
    n += 1000
    os.pwrite(count, str(n).ljust(12).encode(), 0)
`;
    const ops = async () => Number((await Deno.readTextFile(`${dir}/count`)).trim() || 0);
    const c = capture(`${dir}/rec`, ["python3", "-c", storm]);
    await until("the storm", 20_000, () => exists(`${dir}/count`));
    // the loader stops reading while the storm makes more records than the kernel's ring buffer
    // holds (4 MiB; an open and an unlink are two records of over 64 bytes each): it drops
    const loader = loaderOf(c.child.pid);
    Deno.kill(loader, "SIGSTOP");
    const from = await ops();
    await until(
      "the storm to fill the ring buffer",
      30_000,
      async () => await ops() > from + 60_000,
    );
    Deno.kill(loader, "SIGCONT");
    await Deno.writeTextFile(`${dir}/stop`, "");
    const r = await c.done();

    assert.equal(r.code, 0, r.stderr);
    const manifest = JSON.parse(await Deno.readTextFile(`${dir}/rec/manifest.json`));
    assert.equal(manifest.complete, true);
    assert.ok(manifest.drops.file > 0, `file records dropped: ${JSON.stringify(manifest.drops)}`);
    assert.match(r.stderr, new RegExp(`dropped: .*file ${manifest.drops.file}`));
    const { rows, damaged } = readArrowFile(`${dir}/rec/file.arrow`);
    assert.equal(damaged, undefined);
    assert.equal(rows.length, manifest.tables.file.rows);
    assert.ok(rows.filter((f) => f.path === `${dir}/f`).length > 1000, "the rest is recorded");
    await Deno.remove(dir, { recursive: true });
  },
});

Deno.test({
  name: "faults: a traced command that execs a setuid binary stays traced",
  ignore: skipWithoutRoot(),
  async fn() {
    const setuid = "/usr/bin/mount";
    assert.ok(((await Deno.stat(setuid)).mode! & 0o4000) !== 0, `${setuid} is setuid root`);
    const dir = await Deno.makeTempDir({ prefix: "sl-faults-" });
    // as an ordinary user (the capture runs the command as SUDO_UID, as under sudo)
    const c = capture(`${dir}/rec`, [
      "bash",
      "-c",
      `${setuid} --version >/dev/null && cat /etc/hostname >/dev/null`,
    ], { env: { SUDO_UID: "65534", SUDO_GID: "65534" } });
    const r = await c.done();
    assert.equal(r.code, 0, r.stderr);
    const procs = readArrowFile(`${dir}/rec/process.arrow`).rows;
    const execs = procs.filter((p) => p.kind === "exec");
    const bash = execs.find((p) => p.filename === "/usr/bin/bash");
    const mount = execs.find((p) => p.filename === setuid);
    assert.ok(bash && mount, `execs: ${execs.map((p) => p.filename).join(", ")}`);
    assert.equal(bash.uid, 65534, "the command ran as the ordinary user");
    // what the setuid program did, and what came after it, are recorded
    const files = readArrowFile(`${dir}/rec/file.arrow`).rows;
    assert.ok(files.some((f) => f.pid === mount.pid), "file events of the setuid process");
    assert.ok(
      execs.some((p) =>
        p.filename === "/usr/bin/cat" && (p.ts_ns as bigint) > (mount.ts_ns as bigint)
      ),
    );
    assert.ok(files.some((f) => f.path === "/etc/hostname"));
    await Deno.remove(dir, { recursive: true });
  },
});

/** Processes under `pid` that are stopped (state T), with their command names. */
function stoppedUnder(pid: number): string[] {
  return descendants(pid).flatMap(({ pid: p }) => {
    const s = stat(p);
    return s?.state === "T" ? [`${p} (${s.comm})`] : [];
  });
}

Deno.test({
  name: "faults: a storm of gates (fresh files mapped executable, fresh programs run), " +
    "every stopped process resumed",
  ignore: skipWithoutRoot(),
  async fn() {
    // Each file is new to the capture, so each mapping and each exec stops the process until
    // user space has inspected the file. User space answers fast (the files are small), which
    // is when a resume could overtake the stop it answers; a process left stopped hangs here.
    const dir = await Deno.makeTempDir({ prefix: "sl-faults-" });
    const maps = 1500, execs = 60;
    const storm = `
import mmap, os, shutil, subprocess
d = "${dir}/files"
os.mkdir(d)
for i in range(${maps}):
    p = f"{d}/lib{i}.so"
    with open(p, "wb") as f:
        f.write(bytes([i % 256]) * 4096)
    fd = os.open(p, os.O_RDONLY)
    mmap.mmap(fd, 4096, flags=mmap.MAP_PRIVATE, prot=mmap.PROT_READ | mmap.PROT_EXEC).close()
    os.close(fd)
for i in range(${execs}):
    p = f"{d}/true{i}"
    shutil.copy("/bin/true", p)
    subprocess.run([p], check=True)
print("stormed")
`;
    // its 1,560 fresh files, each nothing to hook, are listed in a cache of its own: in the
    // project's they would push out the 1,024 files its real captures let through the gate
    const cacheDir = `${dir}/cache`;
    const c = capture(`${dir}/rec`, ["python3", "-c", storm], {
      flags: ["--quiet", "--cache-dir", cacheDir],
    });
    let stuck: string | undefined;
    const timer = setTimeout(() => {
      stuck = `still running after 90 s; stopped: ${stoppedUnder(c.child.pid).join(", ")}`;
      c.child.kill("SIGKILL"); // its loader then resumes what the gate stopped and ends the rest
    }, 90_000);
    const r = await c.done();
    clearTimeout(timer);
    assert.equal(stuck, undefined);
    assert.equal(r.code, 0, r.stderr);
    const manifest = JSON.parse(await Deno.readTextFile(`${dir}/rec/manifest.json`));
    assert.equal(manifest.complete, true);
    assert.ok(
      manifest.gated_processes >= maps + execs,
      `every fresh file was a gate: ${manifest.gated_processes}`,
    );
    assert.deepEqual(manifest.drops, {});
    const opened = readArrowFile(`${dir}/rec/file.arrow`).rows
      .filter((f) => String(f.path).startsWith(`${dir}/files/lib`) && f.op === "open");
    assert.ok(opened.length >= maps, `the storm's opens are recorded: ${opened.length}`);
    const storms = (list: FileStamp[]) => list.filter((f) => f.path.startsWith(`${dir}/files/`));
    const own = readNothingToHook(`${cacheDir}/inspect`);
    assert.equal(own.length, NOTHING_TO_HOOK_MAX, "the test's own list, full");
    assert.ok(storms(own).length > NOTHING_TO_HOOK_MAX / 2, `${storms(own).length} of the storm's`);
    assert.deepEqual(storms(readNothingToHook()), [], "none in the project's cache");
    await Deno.remove(dir, { recursive: true });
  },
});

Deno.test({
  name: "faults: SIGTERM to the capture ends a command that is stopped (job control), " +
    "and the capture with it",
  ignore: skipWithoutRoot(),
  async fn() {
    const dir = await Deno.makeTempDir({ prefix: "sl-faults-" });
    const c = capture(`${dir}/rec`, [
      "sh",
      "-c",
      `echo $$ > ${dir}/pid; kill -STOP $$; sleep 60`,
    ]);
    await until("the command", 20_000, () => exists(`${dir}/pid`));
    const pid = Number((await Deno.readTextFile(`${dir}/pid`)).trim());
    await until("the command to stop", 10_000, () => stoppedUnder(c.child.pid).length > 0);
    c.child.kill("SIGTERM");
    let stuck: string | undefined;
    const timer = setTimeout(() => {
      stuck = `still running 20 s after SIGTERM; stopped: ${stoppedUnder(c.child.pid).join(", ")}`;
      c.child.kill("SIGKILL");
    }, 20_000);
    const r = await c.done();
    clearTimeout(timer);
    assert.equal(stuck, undefined);
    assert.equal(r.code, 128 + 15, r.stderr);
    const manifest = JSON.parse(await Deno.readTextFile(`${dir}/rec/manifest.json`));
    assert.equal(manifest.complete, true);
    assert.equal(manifest.exit_signal, 15);
    assert.ok(!isRunning(pid), "the command is gone");
    await Deno.remove(dir, { recursive: true });
  },
});
