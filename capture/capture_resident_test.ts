/**
 * As root, for real: the resident capture (`capture --serve`) and sessions through it
 * (`capture --via`), each as a user runs them, a process of its own. A session records its
 * command as a capture of its own does (the command with the client's stdin and stdout, its
 * exit code; processes, files and TLS plaintext; a manifest that names the resident capture;
 * `deno task analyze` reads it); sessions one after the other each get their own events only,
 * and a client that comes while a session runs waits and is told; no resident capture at the
 * socket, or one killed mid-session, is one line and exit 1, with what was recorded kept.
 */
import assert from "node:assert/strict";
import { CAPTURE_MAIN } from "./command_line.ts";
import { skipWithoutRoot } from "../tests/support/ebpf.ts";
import { captureForTest, captureTest, untilExists } from "../tests/support/capture.ts";
import {
  masked,
  SESSION_COOKIE,
  simpleResponse,
  withHttpsServer,
} from "../tests/support/raw_https_server.ts";
import { readRecording, type Recording, tlsStreams } from "../recording/recording.ts";

const dec = new TextDecoder();
const ANALYZE_MAIN = new URL("../analysis/analyze_main.ts", import.meta.url).pathname;

/** A resident capture on a socket in `tmp`, until stop(). */
async function startServer(tmp: string) {
  const socket = `${tmp}/sock/capture.sock`;
  const proc = new Deno.Command(Deno.execPath(), {
    args: ["run", "-A", "--quiet", CAPTURE_MAIN, "--serve", "--socket", socket],
    stdin: "null",
    stdout: "null",
    stderr: "piped",
  }).spawn();
  const stderr = new Response(proc.stderr).text();
  // it listens once its socket is there (or has exited, saying why)
  let exited = false;
  proc.status.then(() => exited = true);
  for (let i = 0; i < 600 && !exited; i++) {
    try {
      if (Deno.lstatSync(socket).isSocket) break;
    } catch { /* not yet */ }
    await new Promise((r) => setTimeout(r, 50));
  }
  if (exited) assert.fail(`the resident capture exited: ${await stderr}`);
  return {
    socket,
    pid: proc.pid,
    proc,
    async stop(): Promise<string> {
      try {
        proc.kill("SIGTERM");
      } catch { /* gone */ }
      // a test that failed mid-session may have left its session running: not left behind
      const late = setTimeout(() => {
        try {
          proc.kill("SIGKILL");
        } catch { /* gone */ }
      }, 30_000);
      await proc.status;
      clearTimeout(late);
      return await stderr;
    },
  };
}

/** `capture --via --socket SOCKET --out OUT -- CMD`, spawned (stdin piped when `input`). */
function via(socket: string, out: string, cmd: string[]) {
  return new Deno.Command(Deno.execPath(), {
    args: [
      "run",
      "-A",
      "--quiet",
      CAPTURE_MAIN,
      "--via",
      "--socket",
      socket,
      "--out",
      out,
      "--",
      ...cmd,
    ],
    stdin: "piped",
    stdout: "piped",
    stderr: "piped",
  }).spawn();
}

async function finish(p: Deno.ChildProcess) {
  const out = await p.output();
  return { code: out.code, stdout: dec.decode(out.stdout), stderr: dec.decode(out.stderr) };
}

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

captureTest(
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
        assert.deepEqual(m.served_by, { pid: server.pid, socket: server.socket, session: 1 });
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

captureTest(
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

Deno.test("capture --via with no resident capture at the socket: one line, exit 1", async () => {
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
});

Deno.test({
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
    "capture --serve refuses a socket another resident capture serves, and a directory others can write",
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
      await Deno.mkdir(`${tmp}/open`, { mode: 0o777 });
      await Deno.chmod(`${tmp}/open`, 0o777);
      const open = await serve(`${tmp}/open/capture.sock`);
      assert.equal(open.code, 1);
      assert.equal(
        dec.decode(open.stderr),
        `sightline: ${tmp}/open must be a directory of root's that no one else can write, to ` +
          "hold the socket\n",
      );
    } finally {
      await server.stop();
      await Deno.remove(tmp, { recursive: true }).catch(() => {});
    }
  },
});
