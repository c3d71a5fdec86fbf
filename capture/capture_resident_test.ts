/**
 * As root, for real: the resident capture (`capture --serve`) and sessions through it
 * (`capture --via`), each as a user runs them, a process of its own. A session records its
 * command as a capture of its own does (the command with the client's stdin and stdout, its
 * exit code; processes, files and TLS plaintext; a manifest that names the resident capture;
 * `deno task analyze` reads it); sessions one after the other each get their own events only
 * (a process one session left running is in none of the next one's records), and a client
 * that comes while a session runs waits and is told; no resident capture at the socket, or one
 * killed mid-session, is one line and exit 1, with what was recorded kept.
 */
import { filePath } from "../kit/file_path.ts";
import assert from "node:assert/strict";
import { CAPTURE_MAIN } from "./command_line.ts";
import {
  startServer,
  VIA_CLIENTS,
  type ViaClient,
  viaCommand,
} from "../tests/support/resident_server.ts";
import { probes, skipWithoutRoot } from "../tests/support/ebpf.ts";
import { captureForTest, captureTest, untilExists } from "../tests/support/capture.ts";
import {
  masked,
  SESSION_COOKIE,
  simpleResponse,
  withHttpsServer,
} from "../tests/support/raw_https_server.ts";
import { readRecording, type Recording, tlsStreams } from "../recording/recording.ts";
import { PROTOCOL } from "./resident_protocol.ts";

const dec = new TextDecoder();
const ANALYZE_MAIN = filePath("../analysis/analyze_main.ts", import.meta.url);

/** This test's environment without sudo's user (a client of root's own). */
function rootEnv(): Record<string, string> {
  const env = Deno.env.toObject();
  delete env.SUDO_UID;
  delete env.SUDO_GID;
  delete env.SUDO_USER;
  return env;
}

/** The client the test under way runs its sessions through: each test that runs sessions is
 * registered once per client (forEachClient), and a file's tests run one at a time. */
let client: ViaClient = "deno";

/** Deno.test(`t`) once per client, its fn run with that client. */
function clientTests(t: { name: string; ignore?: boolean; fn: () => Promise<void> }): void {
  for (const c of VIA_CLIENTS) {
    Deno.test({ ...t, name: `${t.name} (the ${c} client)`, fn: () => (client = c, t.fn()) });
  }
}

/** captureTest(...) once per client, its fn run with that client. */
function captureTests(name: string, prefix: string, fn: (tmp: string) => Promise<void>): void {
  for (const c of VIA_CLIENTS) {
    captureTest(`${name} (the ${c} client)`, prefix, (tmp) => (client = c, fn(tmp)));
  }
}

/** `capture --via --socket SOCKET --out OUT -- CMD` through the test's client, spawned, in
 * `cwd` with exactly `env` when given (stdin piped). */
function via(
  socket: string,
  out: string,
  cmd: string[],
  where: { cwd?: string; env?: Record<string, string>; options?: string[] } = {},
) {
  const [exe, ...args] = viaCommand(client, [
    "--via",
    "--socket",
    socket,
    "--out",
    out,
    ...where.options ?? [],
    "--",
    ...cmd,
  ]);
  return new Deno.Command(exe, {
    cwd: where.cwd,
    env: where.env,
    clearEnv: where.env !== undefined,
    args,
    stdin: "piped",
    stdout: "piped",
    stderr: "piped",
  }).spawn();
}

async function finish(p: Deno.ChildProcess) {
  const out = await p.output();
  return { code: out.code, stdout: dec.decode(out.stdout), stderr: dec.decode(out.stderr) };
}

/** A session of `cmd` (stdin closed) recorded into `out`, which must exit 0: what its client
 * said, and the recording. */
async function servedOk(socket: string, out: string, cmd: string[], options: string[] = []) {
  const p = via(socket, out, cmd, { options });
  p.stdin.close();
  const r = await finish(p);
  assert.equal(r.code, 0, r.stderr);
  return { r, rec: readRecording(out) };
}

/** A test with a resident capture of its own on a socket in its directory, stopped at its end. */
function residentTest(
  name: string,
  fn: (tmp: string, server: Awaited<ReturnType<typeof startServer>>) => Promise<void>,
): void {
  captureTests(name, "sl-resident-", async (tmp) => {
    const server = await startServer(tmp);
    try {
      await fn(tmp, server);
    } finally {
      await server.stop();
    }
  });
}

/** A command that reads DIR/NAME.txt. */
const reads = (dir: string, name: string) => ["/bin/sh", "-c", `cat ${dir}/${name}.txt >/dev/null`];

const PY_POST = `
import ssl, sys, urllib.request
ctx = ssl.create_default_context(cafile=sys.argv[2])
req = urllib.request.Request(sys.argv[1] + "/v1/echo", data=b'{"hello": "world"}', method="POST",
    headers={"Authorization": "Bearer sk-test-SECRET-123", "Content-Type": "application/json"})
print(sys.stdin.readline().strip(), urllib.request.urlopen(req, context=ctx).read().decode())
open(sys.argv[3], "w").write("done")
sys.exit(7)
`;

/** The parts of a recording a session must have as a capture of its own has them. */
function shape(rec: Recording, tmp: string) {
  return {
    execs: rec.process.filter((p) => p.kind === "exec").map((p) => p.argv?.[0]),
    ours: [...new Set(rec.file.map((f) => f.path).filter((p) => p?.startsWith(tmp)))].sort(),
    tls: tlsStreams(rec.tls).filter((s) => s.write.length).map((s) => ({
      lib: s.lib,
      write: dec.decode(s.write).replace(/Host: [^\r]*/, "Host"),
    })),
  };
}

captureTests(
  "a command through the resident capture: its stdin, stdout and exit code, and a recording like its own capture's",
  "sl-resident-",
  async (tmp) => {
    const server = await startServer(tmp);
    try {
      await withHttpsServer(() => simpleResponse("hello from the server"), async (srv, c) => {
        const cmd = (mark: string) => ["/usr/bin/python3", "-c", PY_POST, srv.url, c.caPath, mark];
        const client = via(server.socket, `${tmp}/served`, cmd(`${tmp}/served.mark`));
        const w = client.stdin.getWriter();
        await w.write(new TextEncoder().encode("from-stdin\n"));
        await w.close();
        const r = await finish(client);
        assert.equal(r.code, 7, r.stderr);
        assert.equal(
          r.stdout,
          "from-stdin hello from the server\n",
          "the command's stdio is the client's",
        );
        assert.match(r.stderr, /command exited with 7/, "the summary comes to the client");

        const rec = readRecording(`${tmp}/served`);
        const m = rec.manifest;
        assert.equal(m.complete, true);
        assert.equal(m.exit_code, 7);
        assert.deepEqual(m.command, cmd(`${tmp}/served.mark`));
        const { loader, ...by } = m.served_by!;
        assert.deepEqual(by, { pid: server.pid, socket: server.socket, session: 1 });
        assert.equal(loader.kept, true, "the session ran on the resident capture's kept loader");
        for (const e of Deno.readDirSync(`${tmp}/served`)) {
          assert.equal(Deno.statSync(`${tmp}/served/${e.name}`).mode! & 0o777, 0o600, e.name);
        }
        const s = tlsStreams(rec.tls).find((s) => s.write.length);
        assert.ok(s, "the TLS plaintext is recorded");
        assert.equal(
          dec.decode(s.write),
          masked(dec.decode(srv.exchanges[0].request), "Bearer sk-test-SECRET-123"),
        );
        assert.equal(
          dec.decode(s.read),
          masked(dec.decode(srv.exchanges[0].response), SESSION_COOKIE),
        );

        // the same command captured on its own: the same processes, files and TLS
        const own = await captureForTest({ cmd: cmd(`${tmp}/own.mark`), out: `${tmp}/own` });
        const a = shape(rec, tmp), b = shape(own.rec, tmp);
        assert.deepEqual(a.execs, b.execs);
        assert.deepEqual(
          a.ours.map((p) => p.replace("served", "X")),
          b.ours.map((p) => p.replace("own", "X")),
        );
        assert.deepEqual(a.tls, b.tls);
        assert.equal(own.rec.manifest.served_by, undefined);
        assert.equal(m.cwd, own.rec.manifest.cwd);

        const analyzed = await new Deno.Command(Deno.execPath(), {
          args: ["run", "-A", "--quiet", ANALYZE_MAIN, "--quiet", `${tmp}/served`],
          stdout: "null",
          stderr: "piped",
        }).output();
        assert.equal(analyzed.code, 0, dec.decode(analyzed.stderr));
      });
    } finally {
      await server.stop();
    }
  },
);

captureTests(
  "sessions one after the other each record their own command only; a client that comes meanwhile waits, told so",
  "sl-resident-",
  async (tmp) => {
    const server = await startServer(tmp);
    try {
      const fifo = `${tmp}/release`;
      await new Deno.Command("mkfifo", { args: [fifo] }).output();
      // the first session reads a.txt, then waits until released
      const a = via(server.socket, `${tmp}/a`, [
        "/bin/sh",
        "-c",
        `cat ${tmp}/a.txt >/dev/null; echo started > ${tmp}/a.started; read x < ${fifo}`,
      ]);
      a.stdin.close();
      await Deno.writeTextFile(`${tmp}/a.txt`, "a");
      await Deno.writeTextFile(`${tmp}/b.txt`, "b");
      assert.ok(await untilExists(`${tmp}/a.started`, 60_000, 20), "the first session runs");
      const b = via(server.socket, `${tmp}/b`, ["/bin/sh", "-c", `cat ${tmp}/b.txt >/dev/null`]);
      b.stdin.close();
      // the second client is told it waits (its first line), then the first is released
      const reader = b.stderr.pipeThrough(new TextDecoderStream()).getReader();
      let told = "";
      while (!told.includes("\n")) {
        const { value, done } = await reader.read();
        if (done) break;
        told += value;
      }
      assert.match(told, /^sightline: waiting for the resident capture's session 1 to end\n/);
      await Deno.writeTextFile(fifo, "go\n");
      const ra = await finish(a);
      assert.equal(ra.code, 0, ra.stderr);
      let rest = "";
      for (let r = await reader.read(); !r.done; r = await reader.read()) rest += r.value;
      assert.equal((await b.status).code, 0, rest);

      const recA = readRecording(`${tmp}/a`), recB = readRecording(`${tmp}/b`);
      assert.equal(recA.manifest.served_by?.session, 1);
      assert.equal(recB.manifest.served_by?.session, 2);
      const paths = (r: Recording) => new Set(r.file.map((f) => f.path));
      assert.ok(paths(recA).has(`${tmp}/a.txt`));
      assert.ok(paths(recB).has(`${tmp}/b.txt`));
      assert.ok(
        !paths(recA).has(`${tmp}/b.txt`),
        "the second session's file is not in the first's",
      );
      assert.ok(
        !paths(recB).has(`${tmp}/a.txt`),
        "the first session's file is not in the second's",
      );
      const pids = (r: Recording) => new Set(r.process.map((p) => p.pid));
      const shared = [...pids(recA)].filter((p) => pids(recB).has(p));
      assert.deepEqual(shared, [], "no process is in both");
      const execs = (r: Recording) =>
        r.process.filter((p) => p.kind === "exec").map((p) => p.argv?.join(" "));
      assert.ok(!execs(recA).some((a) => a?.includes("b.txt")));
      assert.ok(!execs(recB).some((a) => a?.includes("a.txt")));
    } finally {
      await server.stop();
    }
  },
);

captureTests(
  "a process one session left running acts during the next: the next session's recording has none of it",
  "sl-resident-",
  async (tmp) => {
    const server = await startServer(tmp);
    try {
      await Deno.writeTextFile(`${tmp}/late.txt`, "late");
      await Deno.writeTextFile(`${tmp}/b.txt`, "b");
      // the first session's command leaves a process behind (its own session, stdio closed),
      // which reads late.txt once the second session's command says go
      const left = `while [ ! -e ${tmp}/go ]; do sleep 0.05; done; ` +
        `cat ${tmp}/late.txt >/dev/null; echo done > ${tmp}/late.done`;
      const a = via(server.socket, `${tmp}/a`, [
        "/bin/sh",
        "-c",
        `setsid /bin/sh -c '${left}' </dev/null >/dev/null 2>&1 & echo $! > ${tmp}/left.pid`,
      ]);
      a.stdin.close();
      const ra = await finish(a);
      assert.equal(ra.code, 0, ra.stderr);
      const leftPid = Number((await Deno.readTextFile(`${tmp}/left.pid`)).trim());
      const recA = readRecording(`${tmp}/a`);
      assert.ok(
        recA.process.some((p) => p.pid === leftPid),
        "the first session followed the process it left",
      );
      assert.ok(
        recA.manifest.warnings.some((w) => /had not exited when the capture ended/.test(w)),
        "the first session says it left a process running",
      );
      // the second session: the left process acts while it runs (bounded: 30 s)
      const b = via(server.socket, `${tmp}/b`, [
        "/bin/sh",
        "-c",
        `cat ${tmp}/b.txt >/dev/null; : > ${tmp}/go; i=0; ` +
        `while [ ! -e ${tmp}/late.done ] && [ $i -lt 600 ]; do sleep 0.05; i=$((i+1)); done`,
      ]);
      b.stdin.close();
      const rb = await finish(b);
      assert.equal(rb.code, 0, rb.stderr);
      assert.ok(
        Deno.statSync(`${tmp}/late.done`).isFile,
        "the left process acted during the second session",
      );
      const recB = readRecording(`${tmp}/b`);
      assert.equal(recB.manifest.served_by?.session, 2);
      const keptA = recA.manifest.served_by?.loader, keptB = recB.manifest.served_by?.loader;
      assert.ok(keptA?.kept && keptB?.kept, "both sessions ran on the kept loader");
      assert.equal(keptA.pid, keptB.pid, "the same loader, kept loaded between them");
      const paths = new Set(recB.file.map((f) => f.path));
      assert.ok(paths.has(`${tmp}/b.txt`), "the second session's own file is recorded");
      assert.ok(!paths.has(`${tmp}/late.txt`), "the left process's file is not in the second's");
      assert.ok(!paths.has(`${tmp}/late.done`));
      assert.deepEqual(
        recB.process.filter((p) => p.pid === leftPid || p.ppid === leftPid),
        [],
        "neither the left process nor its children are in the second session's recording",
      );
      assert.deepEqual(
        recB.manifest.warnings.filter((w) => /had not exited/.test(w)),
        [],
        "the second session left nothing running",
      );
    } finally {
      await server.stop();
    }
  },
);

residentTest(
  "a session that asks for other options gets a loader of its own, and says so; the next one is the kept loader's again",
  async (tmp, server) => {
    await Deno.writeTextFile(`${tmp}/a.txt`, "a");
    await Deno.writeTextFile(`${tmp}/b.txt`, "b");
    await Deno.writeTextFile(`${tmp}/c.txt`, "c");
    const run = async (name: string, options: string[] = []) => {
      const { r, rec } = await servedOk(
        server.socket,
        `${tmp}/${name}`,
        reads(tmp, name),
        options,
      );
      assert.ok(rec.file.some((f) => f.path === `${tmp}/${name}.txt`), `${name}: its own file`);
      return { r, m: rec.manifest };
    };
    const a = await run("a");
    const b = await run("b", ["--no-ipc", "--max-tls-bytes", "4096"]);
    const c = await run("c");
    const la = a.m.served_by!.loader, lb = b.m.served_by!.loader, lc = c.m.served_by!.loader;
    assert.ok(la.kept && lc.kept, "sessions with the default options run on the kept loader");
    assert.equal(la.pid, lc.pid);
    assert.ok(!lb.kept, "the session with other options had a loader of its own");
    assert.match(
      lb.why,
      /options differ from the kept loader's \(--max-tls-bytes 4096, --no-ipc\)/,
    );
    assert.match(
      b.r.stderr,
      /sightline: a loader of its own for this session: its options differ from the kept loader's \(--max-tls-bytes 4096, --no-ipc\)\n/,
    );
    assert.doesNotMatch(a.r.stderr, /a loader of its own/);
    assert.deepEqual(
      [b.m.options.max_tls_bytes, b.m.options.ipc],
      [4096, false],
      "its options are the ones it asked for",
    );
    assert.equal(b.m.tables.ipc, undefined, "no ipc table with --no-ipc");
  },
);

captureTests(
  "the kept loader killed between sessions: the server says so, and the next session starts a fresh one, told so, and records",
  "sl-resident-",
  async (tmp) => {
    const server = await startServer(tmp);
    let log = "";
    try {
      await Deno.writeTextFile(`${tmp}/a.txt`, "a");
      await Deno.writeTextFile(`${tmp}/b.txt`, "b");
      const session = (name: string) => servedOk(server.socket, `${tmp}/${name}`, reads(tmp, name));
      const a = await session("a");
      const first = a.rec.manifest.served_by!.loader;
      assert.ok(first.kept);
      Deno.kill(first.pid, "SIGKILL");
      let went = false;
      for (let i = 0; i < 200 && !went; i++) {
        try {
          Deno.statSync(`/proc/${first.pid}`);
          await new Promise((r) => setTimeout(r, 25));
        } catch {
          went = true;
        }
      }
      assert.ok(went, `the killed kept loader (pid ${first.pid}) was reaped by the server`);
      const b = await session("b");
      assert.match(
        b.r.stderr,
        new RegExp(
          `^sightline: the kept loader \\(pid ${first.pid}\\) was killed by SIGKILL; ` +
            "this session starts a fresh one\n",
        ),
      );
      const second = b.rec.manifest.served_by!.loader;
      assert.ok(second.kept, "the fresh loader is kept");
      assert.notEqual(second.pid, first.pid);
      assert.equal(b.rec.manifest.complete, true);
      assert.equal(b.rec.manifest.exit_code, 0);
      const paths = new Set(b.rec.file.map((f) => f.path));
      assert.ok(paths.has(`${tmp}/b.txt`) && !paths.has(`${tmp}/a.txt`));
    } finally {
      log = await server.stop();
    }
    assert.match(
      log,
      /sightline: the kept loader \(pid \d+\) was killed by SIGKILL; the next session starts a fresh one\n/,
      "the server says so on its stderr when it happens",
    );
  },
);

residentTest(
  "the kept loader dead just as a session is handed to it: that session runs on a fresh kept loader, its client told",
  async (tmp, server) => {
    await Deno.writeTextFile(`${tmp}/a.txt`, "a");
    await Deno.writeTextFile(`${tmp}/b.txt`, "b");
    const a = await servedOk(server.socket, `${tmp}/a`, reads(tmp, "a"));
    const first = a.rec.manifest.served_by!.loader;
    assert.ok(first.kept);
    // stopped, it cannot take the next session the server hands it (the session's file is
    // written, the loader asked); killed then, it went away before that session started
    const before = new Set([...Deno.readDirSync("/tmp")].map((e) => e.name));
    Deno.kill(first.pid, "SIGSTOP");
    const b = via(server.socket, `${tmp}/b`, reads(tmp, "b"));
    b.stdin.close();
    const handed = () =>
      [...Deno.readDirSync("/tmp")].some((e) => {
        if (!e.name.startsWith("sightline-") || before.has(e.name)) return false;
        try {
          return Deno.statSync(`/tmp/${e.name}/session`).isFile;
        } catch {
          return false;
        }
      });
    for (let i = 0; i < 600 && !handed(); i++) await new Promise((r) => setTimeout(r, 25));
    assert.ok(handed(), "the server handed the session to the kept loader");
    Deno.kill(first.pid, "SIGKILL");
    const rb = await finish(b);
    assert.equal(rb.code, 0, rb.stderr);
    assert.match(
      rb.stderr,
      /sightline: the kept loader went away before this session started; a fresh one runs it\n/,
    );
    const recB = readRecording(`${tmp}/b`);
    const second = recB.manifest.served_by!.loader;
    assert.ok(second.kept, "a fresh kept loader ran it");
    assert.notEqual(second.pid, first.pid);
    assert.ok(recB.file.some((f) => f.path === `${tmp}/b.txt`), "and it recorded");
  },
);

residentTest(
  "the kept loader killed mid-session: that session ends in one line with what was recorded kept, its command ended; the next starts a fresh loader",
  async (tmp, server) => {
    await Deno.writeTextFile(`${tmp}/a.txt`, "a");
    await Deno.writeTextFile(`${tmp}/b.txt`, "b");
    const a = via(server.socket, `${tmp}/a`, [
      "/bin/sh",
      "-c",
      `cat ${tmp}/a.txt >/dev/null; echo $$ > ${tmp}/a.pid; exec sleep 60`,
    ]);
    a.stdin.close();
    const flushed = () => {
      try {
        const m = JSON.parse(Deno.readTextFileSync(`${tmp}/a/manifest.json`));
        return (m.tables?.file?.rows ?? 0) > 0 ? m : undefined;
      } catch {
        return undefined;
      }
    };
    for (let i = 0; i < 1200 && !flushed(); i++) await new Promise((r) => setTimeout(r, 50));
    const live = flushed();
    assert.ok(live?.served_by?.loader?.kept, "the session runs on the kept loader");
    Deno.kill(live.served_by.loader.pid, "SIGKILL");
    const ra = await finish(a);
    assert.equal(ra.code, 1, ra.stderr);
    assert.match(
      ra.stderr,
      /the capture's loader was killed by SIGKILL before the end.*what arrived before stays readable/,
    );
    const recA = readRecording(`${tmp}/a`);
    assert.ok(recA.file.some((f) => f.path === `${tmp}/a.txt`), "what was recorded is kept");
    const sleeper = Number((await Deno.readTextFile(`${tmp}/a.pid`)).trim());
    let gone = false;
    for (let i = 0; i < 100 && !gone; i++) {
      try {
        gone = Deno.readTextFileSync(`/proc/${sleeper}/stat`).split(") ")[1][0] === "Z";
      } catch {
        gone = true;
      }
      if (!gone) await new Promise((r) => setTimeout(r, 50));
    }
    assert.ok(gone, "the session's command was ended, not left running untraced");
    const { r: rb, rec: recB } = await servedOk(server.socket, `${tmp}/b`, reads(tmp, "b"));
    assert.match(rb.stderr, /this session starts a fresh one/);
    assert.ok(recB.manifest.served_by?.loader.kept);
    assert.notEqual(
      (recB.manifest.served_by!.loader as { pid: number }).pid,
      live.served_by.loader.pid,
    );
    const paths = new Set(recB.file.map((f) => f.path));
    assert.ok(paths.has(`${tmp}/b.txt`) && !paths.has(`${tmp}/a.txt`));
  },
);

/** Why io_uring cannot be used here (kernel.io_uring_disabled 2: by nobody), or undefined. */
function ioUringOff(): string | undefined {
  try {
    const v = Deno.readTextFileSync("/proc/sys/kernel/io_uring_disabled").trim();
    return v === "2" ? "kernel.io_uring_disabled is 2 (io_uring is disabled)" : undefined;
  } catch {
    return undefined; // (a kernel from before the sysctl: io_uring is enabled)
  }
}

residentTest(
  "each session's kernel counters are its own: io_uring requests of one session are not counted in the next",
  async (tmp, server) => {
    const off = ioUringOff();
    if (off) {
      console.error(`skipping the io_uring part: ${off}`);
      return;
    }
    // a program that opens and writes a file through io_uring (lab/evasion's)
    const src = filePath("../lab/evasion/c/uring_openat.c", import.meta.url);
    const cc = await new Deno.Command("cc", {
      args: ["-O1", "-o", `${tmp}/uring_openat`, src],
      stderr: "piped",
    }).output();
    assert.ok(cc.success, dec.decode(cc.stderr));
    await Deno.mkdir(`${tmp}/work`);
    await Deno.writeTextFile(`${tmp}/b.txt`, "b");
    const a = await servedOk(server.socket, `${tmp}/a`, [`${tmp}/uring_openat`, `${tmp}/work`]);
    const b = await servedOk(server.socket, `${tmp}/b`, reads(tmp, "b"));
    const ma = a.rec.manifest, mb = b.rec.manifest;
    assert.ok(
      ma.served_by?.loader.kept && mb.served_by?.loader.kept,
      "both on the kept loader",
    );
    const total = (r: Record<string, number> | undefined) =>
      Object.values(r ?? {}).reduce((x, y) => x + y, 0);
    assert.ok(
      total(ma.io_uring?.requests) >= 3,
      `the first session counts its io_uring requests: ${JSON.stringify(ma.io_uring)}`,
    );
    assert.equal(
      total(mb.io_uring?.requests),
      0,
      `the second session submitted none: ${JSON.stringify(mb.io_uring)}`,
    );
    assert.deepEqual(mb.drops, {}, "nor does it carry drops of another");
  },
);

captureTests(
  "a command that cannot be run through the kept loader: exit 127 in one line, the next session on the same kept loader; the server stopped leaves no loader, program or probe",
  "sl-resident-",
  async (tmp) => {
    const before = new Set((await probes()).progs);
    const server = await startServer(tmp);
    let kept: number | undefined;
    let ours: number[] = [];
    try {
      await Deno.writeTextFile(`${tmp}/b.txt`, "b");
      await Deno.writeTextFile(`${tmp}/c.txt`, "c");
      // the client finds it, the kept loader's exec fails (no such interpreter)
      await Deno.writeTextFile(`${tmp}/badexec`, "#!/nonexistent/interpreter\n", { mode: 0o755 });
      const b = await servedOk(server.socket, `${tmp}/b`, reads(tmp, "b"));
      const lb = b.rec.manifest.served_by?.loader;
      assert.ok(lb?.kept, "it runs on the kept loader");
      const oneLine = async (name: string, cmd: string[], code: number) => {
        const p = via(server.socket, `${tmp}/${name}`, cmd, { options: ["--quiet"] });
        p.stdin.close();
        const r = await finish(p);
        assert.equal(r.code, code, r.stderr);
        assert.equal(r.stderr.trim().split("\n").length, 1, `one line: ${r.stderr}`);
        return r.stderr;
      };
      assert.match(await oneLine("x1", [`${tmp}/nonexistent`], 127), /nonexistent/);
      assert.match(await oneLine("x2", [`${tmp}/badexec`], 127), /badexec/);
      const { r, rec } = await servedOk(server.socket, `${tmp}/c`, reads(tmp, "c"));
      const lc = rec.manifest.served_by?.loader;
      assert.ok(lc?.kept && lc.pid === lb.pid, "the next session runs on the same kept loader");
      assert.doesNotMatch(r.stderr, /fresh one|of its own/);
      assert.ok(rec.file.some((f) => f.path === `${tmp}/c.txt`));
      const la = lb;
      kept = la.pid;
      ours = (await probes()).progs.filter((id) => !before.has(id));
      assert.ok(ours.length > 0, "the kept loader's programs are loaded while it serves");
    } finally {
      await server.stop();
    }
    let gone = false;
    for (let i = 0; i < 100 && !gone; i++) {
      try {
        Deno.statSync(`/proc/${kept}`);
        await new Promise((r) => setTimeout(r, 50));
      } catch {
        gone = true;
      }
    }
    assert.ok(gone, `the kept loader (pid ${kept}) ended with the server`);
    let left = await probes(ours);
    for (let i = 0; i < 50 && (left.progs.length || left.links); i++) {
      await new Promise((r) => setTimeout(r, 100));
      left = await probes(ours);
    }
    assert.deepEqual(left, { progs: [], links: 0 }, "none of its programs or links is left");
  },
);

clientTests({
  name: "capture --via with no resident capture at the socket: one line, exit 1",
  fn: async () => {
    const tmp = await Deno.makeTempDir({ prefix: "sl-resident-" });
    try {
      const r = await finish(via(`${tmp}/none.sock`, `${tmp}/rec`, ["true"]));
      assert.equal(r.code, 1);
      assert.equal(
        r.stderr,
        `sightline: no resident capture at ${tmp}/none.sock: none is running (start one with ` +
          "`sudo deno task capture --serve`)\n",
      );
      assert.throws(() => Deno.statSync(`${tmp}/rec`), Deno.errors.NotFound, "no recording");
    } finally {
      await Deno.remove(tmp, { recursive: true });
    }
  },
});

clientTests({
  name:
    "the resident capture killed mid-session: the client says so in one line, exit 1, and what was recorded stays readable",
  ignore: skipWithoutRoot(),
  async fn() {
    const tmp = await Deno.makeTempDir({ prefix: "sl-resident-" });
    const server = await startServer(tmp);
    try {
      await Deno.writeTextFile(`${tmp}/a.txt`, "a");
      const client = via(server.socket, `${tmp}/rec`, [
        "/bin/sh",
        "-c",
        `cat ${tmp}/a.txt >/dev/null; exec sleep 60`,
      ]);
      client.stdin.close();
      // killed once the recording on disk holds the file read (the live flush, each second)
      const flushed = () => {
        try {
          const m = JSON.parse(Deno.readTextFileSync(`${tmp}/rec/manifest.json`));
          return (m.tables?.file?.rows ?? 0) > 0;
        } catch {
          return false;
        }
      };
      for (let i = 0; i < 1200 && !flushed(); i++) await new Promise((r) => setTimeout(r, 50));
      assert.ok(flushed(), "the session's first rows were flushed");
      server.proc.kill("SIGKILL");
      const r = await finish(client);
      assert.equal(r.code, 1);
      assert.equal(
        r.stderr,
        `sightline: the resident capture at ${server.socket} went away mid-session; what it ` +
          `recorded so far stays in ${tmp}/rec\n`,
      );
      const rec = readRecording(`${tmp}/rec`);
      assert.equal(rec.manifest.complete, false);
      assert.ok(rec.file.some((f) => f.path === `${tmp}/a.txt`), "the rows flushed are kept");
    } finally {
      await server.stop();
      await Deno.remove(tmp, { recursive: true }).catch(() => {});
    }
  },
});

Deno.test({
  name:
    "capture --serve refuses a socket another resident capture serves, and a directory others can use; its socket is root's, 0600",
  ignore: skipWithoutRoot(),
  async fn() {
    const tmp = await Deno.makeTempDir({ prefix: "sl-resident-" });
    const server = await startServer(tmp);
    const serve = (socket: string) =>
      new Deno.Command(Deno.execPath(), {
        args: ["run", "-A", "--quiet", CAPTURE_MAIN, "--serve", "--socket", socket],
        stdin: "null",
        stdout: "null",
        stderr: "piped",
      }).output();
    try {
      const again = await serve(server.socket);
      assert.equal(again.code, 1);
      assert.equal(
        dec.decode(again.stderr),
        `sightline: a resident capture already serves ${server.socket}\n`,
      );
      // a directory others can write, or only read (a socket there is theirs to reach)
      for (const mode of [0o777, 0o755]) {
        await Deno.mkdir(`${tmp}/open`, { mode });
        await Deno.chmod(`${tmp}/open`, mode);
        const open = await serve(`${tmp}/open/capture.sock`);
        assert.equal(open.code, 1);
        assert.equal(
          dec.decode(open.stderr),
          `sightline: ${tmp}/open must be a directory of root's that no one else can use (0700), ` +
            "to hold the socket\n",
        );
        await Deno.remove(`${tmp}/open`);
      }
      // the socket itself: root's, 0600 (no moment with another mode: bound elsewhere, moved)
      const st = Deno.lstatSync(server.socket);
      assert.equal(st.uid, 0);
      assert.equal(st.mode! & 0o777, 0o600);
      assert.deepEqual([...Deno.readDirSync(`${tmp}/sock`)].map((e) => e.name), ["capture.sock"]);
    } finally {
      await server.stop();
      await Deno.remove(tmp, { recursive: true }).catch(() => {});
    }
  },
});

captureTests(
  "a session runs in the client's directory, with its environment, as its user: sudo's, or root without one, never the server's",
  "sl-resident-",
  async (tmp) => {
    // the server was started by sudo for nobody: that is not who a session runs as
    const server = await startServer(tmp, { SUDO_UID: "65534", SUDO_GID: "65534" });
    try {
      const work = `${tmp}/work`;
      await Deno.mkdir(work);
      const sh = ["/bin/sh", "-c", 'echo "$(pwd) $SL_MARK $(id -u) $(id -g)"'];
      const root = via(server.socket, `${tmp}/root`, sh, {
        cwd: work,
        env: { ...rootEnv(), SL_MARK: "client-only" },
      });
      root.stdin.close();
      const r = await finish(root);
      assert.equal(r.code, 0, r.stderr);
      assert.equal(r.stdout, `${work} client-only 0 0\n`);
      assert.equal(readRecording(`${tmp}/root`).manifest.cwd, work);

      const user = via(server.socket, `${tmp}/user`, sh, {
        cwd: "/",
        env: { ...rootEnv(), SL_MARK: "u", SUDO_UID: "65533", SUDO_GID: "65532" },
      });
      user.stdin.close();
      const u = await finish(user);
      assert.equal(u.code, 0, u.stderr);
      assert.equal(u.stdout, "/ u 65533 65532\n");
      assert.equal(readRecording(`${tmp}/user`).manifest.uid, 65533);

      // an id that is not one: one line, exit 2, nothing recorded (never root)
      const bad = via(server.socket, `${tmp}/bad`, ["true"], {
        env: { ...rootEnv(), SUDO_UID: "x", SUDO_GID: "1" },
      });
      bad.stdin.close();
      const b = await finish(bad);
      assert.equal(b.code, 2);
      assert.equal(b.stderr, "sightline: SUDO_UID=x is not a user id\n");
      assert.throws(() => Deno.statSync(`${tmp}/bad`), Deno.errors.NotFound);
    } finally {
      await server.stop();
    }
  },
);

/** Reads `stream` up to its first line. */
async function firstLine(reader: ReadableStreamDefaultReader<string>): Promise<string> {
  let got = "";
  while (!got.includes("\n")) {
    const { value, done } = await reader.read();
    if (done) break;
    got += value;
  }
  return got;
}

captureTests(
  "a client waiting for a session: Ctrl-C ends it (one line, exit 130), killed it leaves the queue; neither starts its command or records",
  "sl-resident-",
  async (tmp) => {
    const server = await startServer(tmp);
    const fifo = `${tmp}/release`;
    await new Deno.Command("mkfifo", { args: [fifo] }).output();
    const release = () => Deno.writeTextFile(fifo, "go\n");
    // whatever happens, session A is released in the end (no test left hanging)
    const fallback = setTimeout(release, 60_000);
    try {
      const a = via(server.socket, `${tmp}/a`, [
        "/bin/sh",
        "-c",
        `echo started > ${tmp}/a.started; read x < ${fifo}`,
      ]);
      a.stdin.close();
      assert.ok(await untilExists(`${tmp}/a.started`, 60_000, 20), "the first session runs");
      let aEnded = false;
      a.status.then(() => aEnded = true);

      // B waits (told so), then gets Ctrl-C: it ends while A still runs
      const b = via(server.socket, `${tmp}/b`, ["touch", `${tmp}/b.ran`]);
      b.stdin.close();
      const bErr = b.stderr.pipeThrough(new TextDecoderStream()).getReader();
      const told = "sightline: waiting for the resident capture's session 1 to end\n";
      assert.equal(await firstLine(bErr), told);
      b.kill("SIGINT");
      let rest = "";
      for (let r = await bErr.read(); !r.done; r = await bErr.read()) rest += r.value;
      assert.equal((await b.status).code, 130);
      assert.equal(
        rest,
        "sightline: interrupted while waiting for the resident capture: nothing was recorded\n",
      );
      assert.equal(aEnded, false, "B ended while A's session still ran");

      // C waits, and is killed: its command never starts, even after A's session
      const c = via(server.socket, `${tmp}/c`, ["touch", `${tmp}/c.ran`]);
      c.stdin.close();
      const cErr = c.stderr.pipeThrough(new TextDecoderStream()).getReader();
      assert.equal(await firstLine(cErr), told);
      c.kill("SIGKILL");
      await c.status;
      await cErr.cancel();

      await release();
      const ra = await finish(a);
      assert.equal(ra.code, 0, ra.stderr);
      // D, after: served at once (session 2: B and C had none)
      const d = via(server.socket, `${tmp}/d`, ["true"]);
      d.stdin.close();
      const rd = await finish(d);
      assert.equal(rd.code, 0, rd.stderr);
      assert.equal(readRecording(`${tmp}/d`).manifest.served_by?.session, 2);
      for (const gone of ["b", "b.ran", "c", "c.ran"]) {
        assert.throws(() => Deno.statSync(`${tmp}/${gone}`), Deno.errors.NotFound, gone);
      }
    } finally {
      clearTimeout(fallback);
      await server.stop();
    }
  },
);

captureTests(
  "connections that say nothing, or not a request, hold up no session; a client killed mid-session ends its command",
  "sl-resident-",
  async (tmp) => {
    const server = await startServer(tmp);
    const silent = await Deno.connect({ transport: "unix", path: server.socket });
    // (were a silent connection to hold up sessions, it ends in a minute: the test fails, not hangs)
    const fallback = setTimeout(() => silent.close(), 60_000);
    try {
      // a bad request: one line back, exit code 2 in it
      const bad = await Deno.connect({ transport: "unix", path: server.socket });
      await bad.write(new TextEncoder().encode(`{"v": ${PROTOCOL}, "pid": "x"}\n`));
      const answer = dec.decode(await new Response(bad.readable).arrayBuffer());
      assert.equal(
        answer,
        JSON.stringify({ error: "a request whose pid is not a process id", code: 2 }) + "\n",
      );

      // while `silent` says nothing, a session is served, without waiting
      const first = via(server.socket, `${tmp}/first`, ["true"]);
      first.stdin.close();
      const rf = await finish(first);
      assert.equal(rf.code, 0, rf.stderr);
      assert.doesNotMatch(rf.stderr, /waiting/);

      // a client killed mid-session
      const a = via(server.socket, `${tmp}/a`, [
        "/bin/sh",
        "-c",
        `echo $$ > ${tmp}/a.pid.tmp; mv ${tmp}/a.pid.tmp ${tmp}/a.pid; exec sleep 600`,
      ]);
      a.stdin.close();
      assert.ok(await untilExists(`${tmp}/a.pid`, 60_000, 20), "the session runs");
      const cmdPid = Number(await Deno.readTextFile(`${tmp}/a.pid`));
      a.kill("SIGKILL");
      await a.output();
      // its command is ended, and the next session runs (after A's, maybe told to wait for it)
      const b = via(server.socket, `${tmp}/b`, ["true"]);
      b.stdin.close();
      const rb = await finish(b);
      assert.equal(rb.code, 0, rb.stderr);
      const alive = () => {
        try {
          return !/^\d+ \(.*\) Z/.test(Deno.readTextFileSync(`/proc/${cmdPid}/stat`));
        } catch {
          return false;
        }
      };
      // (B's session starts after A's loader has gone; its command may take a moment to be reaped)
      for (let i = 0; i < 600 && alive(); i++) await new Promise((r) => setTimeout(r, 50));
      assert.equal(alive(), false, "the killed client's command was ended");
      assert.equal(readRecording(`${tmp}/first`).manifest.served_by?.session, 1);
      assert.equal(readRecording(`${tmp}/a`).manifest.served_by?.session, 2);
      assert.equal(readRecording(`${tmp}/b`).manifest.served_by?.session, 3);
      // and `silent` is told, in the end, and closed (REQUEST_DEADLINE_MS after it came)
      assert.equal(
        dec.decode(await new Response(silent.readable).arrayBuffer()),
        JSON.stringify({ error: "no request within 10 s of connecting", code: 2 }) + "\n",
      );
    } finally {
      clearTimeout(fallback);
      try {
        silent.close();
      } catch { /* closed */ }
      await server.stop();
    }
  },
);

const NOT_ROOTS = "is not a resident capture's socket (a socket of root's that only root can " +
  "use, in a directory of root's that no one else can use)";

clientTests({
  name:
    "capture --via sends nothing to a socket chowned to root 0600 but listened on by another user (in that user's directory): one line, exit 1",
  ignore: skipWithoutRoot(),
  fn: async () => {
    const odir = await Deno.makeTempDir({ prefix: "sl-other-" });
    Deno.chownSync(odir, 65534, 65534);
    const path = `${odir}/s`;
    const listener = new Deno.Command("setpriv", {
      args: [
        "--reuid=65534",
        "--regid=65534",
        "--clear-groups",
        "socat",
        "-u",
        `UNIX-LISTEN:${path}`,
        `CREATE:${odir}/got`,
      ],
      stderr: "null",
    }).spawn();
    try {
      for (let i = 0; !existsSocket(path); i++) {
        assert.ok(i < 500, "socat (as nobody) never listened");
        await new Promise((r) => setTimeout(r, 20));
      }
      Deno.chownSync(path, 0, 0);
      Deno.chmodSync(path, 0o600);
      const r = await finish(via(path, `${odir}/rec`, ["true"]));
      assert.equal(r.code, 1);
      assert.equal(r.stderr, `sightline: ${path} ${NOT_ROOTS}\n`);
      let got = "";
      try {
        got = Deno.readTextFileSync(`${odir}/got`);
      } catch { /* never connected */ }
      assert.equal(got, "", "nothing sent to it");
      assert.throws(() => Deno.statSync(`${odir}/rec`), Deno.errors.NotFound, "no recording");
    } finally {
      try {
        listener.kill();
      } catch { /* gone */ }
      await listener.status;
      await Deno.remove(odir, { recursive: true });
    }
  },
});

function existsSocket(path: string): boolean {
  try {
    return Deno.lstatSync(path).isSocket === true;
  } catch {
    return false;
  }
}

clientTests({
  name:
    "capture --via sends nothing to a socket that is not root's alone (others may use it, or it is not root's): one line, exit 1",
  ignore: skipWithoutRoot(),
  fn: async () => {
    const tmp = await Deno.makeTempDir({ prefix: "sl-resident-" });
    try {
      for (const [mode, owner] of [[0o666, 0], [0o600, 65534]]) {
        const path = `${tmp}/open-${owner}.sock`;
        const listener = Deno.listen({ transport: "unix", path });
        try {
          Deno.chmodSync(path, mode);
          Deno.chownSync(path, owner, owner);
          let connected = false;
          const accepted = listener.accept().then((c) => {
            connected = true;
            c.close();
          }).catch(() => {});
          const r = await finish(via(path, `${tmp}/rec`, ["true"]));
          assert.equal(r.code, 1);
          assert.equal(
            r.stderr,
            `sightline: ${path} ${NOT_ROOTS}\n`,
          );
          listener.close();
          await accepted;
          assert.equal(connected, false, "it never connected");
          assert.throws(() => Deno.statSync(`${tmp}/rec`), Deno.errors.NotFound, "no recording");
        } finally {
          try {
            listener.close();
          } catch { /* closed */ }
        }
      }
    } finally {
      await Deno.remove(tmp, { recursive: true });
    }
  },
});

residentTest(
  "a session's mistakes are the server's to read, for either client: an unknown option, a bad value, no command, --status: one line, exit 2, nothing run or recorded; --help the usage",
  async (tmp, server) => {
    const cases: [string[], string[], string][] = [
      [
        ["--bogus"],
        ["touch", `${tmp}/ran`],
        "sightline: Unknown option '--bogus' (capture --help lists the options)\n",
      ],
      [
        ["--max-tls-bytes", "lots"],
        ["touch", `${tmp}/ran`],
        'sightline: --max-tls-bytes wants a number, got "lots"\n',
      ],
      [["--status"], ["touch", `${tmp}/ran`], "sightline: --via shows no live status line\n"],
    ];
    cases.push([[], [], "sightline: --via needs a command: --via -- CMD ARGS...\n"]);
    for (const [options, cmd, said] of cases) {
      const p = via(server.socket, `${tmp}/rec`, cmd, { options });
      p.stdin.close();
      const r = await finish(p);
      assert.equal(r.code, 2, r.stderr);
      assert.equal(r.stderr, said);
      assert.throws(() => Deno.statSync(`${tmp}/rec`), Deno.errors.NotFound, "no recording");
      assert.throws(() => Deno.statSync(`${tmp}/ran`), Deno.errors.NotFound, "nothing ran");
    }
    // --help: the usage on stdout, exit 0, nothing run: Deno's client prints it (server or none,
    // as `capture --help`), the C client relays the server's (its `out` line)
    const help = via(server.socket, `${tmp}/rec`, ["touch", `${tmp}/ran`], { options: ["--help"] });
    help.stdin.close();
    const h = await finish(help);
    assert.equal(h.code, 0, h.stderr);
    assert.match(h.stdout, /^usage: deno task capture/);
    assert.equal(h.stderr, "");
    assert.throws(() => Deno.statSync(`${tmp}/ran`), Deno.errors.NotFound, "nothing ran");
    // and the server goes on serving
    const { rec } = await servedOk(server.socket, `${tmp}/ok`, ["true"], ["--quiet"]);
    assert.equal(rec.manifest.exit_code, 0);
  },
);

clientTests({
  name:
    "the client's request and the server's lines, byte for byte: arguments and environment with quotes, newlines and non-ASCII arrive as given; escapes in a line are decoded; a server gone after naming its directory is one line, exit 1",
  ignore: skipWithoutRoot(),
  fn: async () => {
    const tmp = await Deno.makeTempDir({ prefix: "sl-resident-" });
    const path = `${tmp}/fake.sock`;
    const listener = Deno.listen({ transport: "unix", path });
    try {
      Deno.chmodSync(path, 0o600);
      const odd = 'a "quoted" \\ back\nslash\ttab \u00e9 \u{1F600} \u0001';
      const said = 'log: "q" \\ \u00e9 \u{1F600} / tab\tend';
      const server = (async () => {
        const conn = await listener.accept();
        let got = "";
        const buf = new Uint8Array(1 << 16);
        while (!got.includes("\n")) {
          const n = await conn.read(buf);
          if (n === null) break;
          got += dec.decode(buf.subarray(0, n), { stream: true });
        }
        const enc = new TextEncoder();
        // the server's lines as JSON.stringify writes them, and one with every escape spelt out
        await conn.write(enc.encode(JSON.stringify({ log: said }) + "\n"));
        await conn.write(
          enc.encode('{"log":"\\u0041\\"\\\\\\/\\n\\ud83d\\ude00\\u00e9"}\n{"dir":"/rec/d"}\n'),
        );
        // a line for the client's stdout
        await conn.write(enc.encode(JSON.stringify({ out: said }) + "\n"));
        conn.close();
        return JSON.parse(got.slice(0, got.indexOf("\n")));
      })();
      const env: Record<string, string> = { ...rootEnv(), SL_ODD: odd };
      const p = via(path, "rec", ["printf", odd], { cwd: tmp, env });
      p.stdin.close();
      const r = await finish(p);
      const req = await server;
      // the C client's PROTOCOL is resident_protocol.ts's (the server refuses another)
      assert.equal(req.v, PROTOCOL);
      assert.deepEqual(req.args, ["--via", "--socket", path, "--out", "rec", "--", "printf", odd]);
      assert.equal(req.cwd, tmp);
      assert.equal(req.env.SL_ODD, odd);
      assert.equal(req.env.PATH, env.PATH);
      assert.equal(req.pid, p.pid);
      assert.equal(r.code, 1);
      assert.equal(r.stdout, `${said}\n`);
      assert.equal(
        r.stderr,
        `${said}\nA"\\/\n\u{1F600}\u00e9\nsightline: the resident capture at ${path} went away ` +
          "mid-session; what it recorded so far stays in /rec/d\n",
      );
    } finally {
      listener.close();
      await Deno.remove(tmp, { recursive: true });
    }
  },
});
