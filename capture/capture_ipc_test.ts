/**
 * Capture of JSON-RPC between processes (real eBPF): a client talks to three child servers —
 * over pipes (newline-delimited, the client's first message "method" first as Gemini CLI
 * sends it), over a socketpair with sendmsg/recvmsg of several iovecs, and over pipes with
 * `Content-Length` framing and a 100 kB answer written with writev — while an ordinary
 * pipeline and a pipe of JSON that is not JSON-RPC run beside them. Every byte of the three
 * conversations is in ipc.arrow, from both ends, with the process at the other end; nothing of
 * the others is. With --no-ipc there is no ipc.arrow.
 */
import assert from "node:assert/strict";
import { skipWithoutRoot } from "../tests/support/ebpf.ts";
import { captureWithLog } from "../tests/support/capture.ts";
import { concatBytes } from "../kit/bytes.ts";
import type { IpcRow } from "../recording/schema.ts";
import type { CaptureOptions } from "./launch.ts";

/** A server: answers each request line (or Content-Length frame) with a result. */
const SERVER_PY = `
import os, sys, json
inp, out = sys.stdin.buffer, sys.stdout.buffer
framed = sys.argv[1] == "framed"
while True:
    if framed:
        hdr = b""
        while not hdr.endswith(b"\\r\\n\\r\\n"):
            c = inp.read(1)
            if not c: sys.exit(0)
            hdr += c
        n = int(hdr.split(b":")[1].split(b"\\r")[0])
        msg = json.loads(inp.read(n))
    else:
        line = inp.readline()
        if not line: sys.exit(0)
        msg = json.loads(line)
    res = json.dumps({"result": {"echo": msg["method"], "pad": "x" * int(sys.argv[2])},
                      "jsonrpc": "2.0", "id": msg["id"]}).encode()
    if framed:
        os.writev(out.fileno(), [b"Content-Length: %d\\r\\n\\r\\n" % len(res), res])
    else:
        out.write(res + b"\\n"); out.flush()
`;

/** The client: one conversation per transport; prints what it sent and got, base64. */
const CLIENT_PY = `
import os, sys, json, socket, subprocess, base64
server = [sys.executable, "-c", sys.argv[1]]
log = {}
def note(k, b): log[k] = log.get(k, b"") + b
# 1. pipes, newline-delimited, "method" first
p = subprocess.Popen(server + ["lines", "10"], stdin=subprocess.PIPE, stdout=subprocess.PIPE)
for i in range(3):
    m = json.dumps({"method": "tools/list", "params": {}, "jsonrpc": "2.0", "id": i}).encode() + b"\\n"
    note("pipe_req", m); p.stdin.write(m); p.stdin.flush()
    note("pipe_res", p.stdout.readline())
p.stdin.close(); p.wait()
log["pipe_pid"] = str(p.pid).encode()
# 2. a socketpair, sendmsg / recvmsg of two iovecs
a, b = socket.socketpair()
q = subprocess.Popen(server + ["lines", "10"], stdin=b, stdout=b)
b.close()
f = a.makefile("rb")
for i in range(2):
    body = json.dumps({"jsonrpc": "2.0", "id": i, "method": "tools/call"}).encode()
    note("unix_req", body + b"\\n"); a.sendmsg([body[:7], body[7:] + b"\\n"])
    note("unix_res", f.readline())
a.shutdown(socket.SHUT_WR); q.wait()
log["unix_pid"] = str(q.pid).encode()
# 3. Content-Length framing, a 100 kB answer
r = subprocess.Popen(server + ["framed", "100000"], stdin=subprocess.PIPE, stdout=subprocess.PIPE)
body = json.dumps({"jsonrpc": "2.0", "id": 7, "method": "resources/read"}).encode()
m = b"Content-Length: %d\\r\\n\\r\\n" % len(body) + body
note("framed_req", m); r.stdin.write(m); r.stdin.flush()
hdr = b""
while not hdr.endswith(b"\\r\\n\\r\\n"): hdr += r.stdout.read(1)
note("framed_res", hdr + r.stdout.read(int(hdr.split(b":")[1].split(b"\\r")[0])))
r.stdin.close(); r.wait()
log["framed_pid"] = str(r.pid).encode()
# beside them: an ordinary pipeline, and JSON that is not JSON-RPC
subprocess.run("ls / | wc -l >/dev/null", shell=True, check=True)
j = subprocess.Popen(["cat"], stdin=subprocess.PIPE, stdout=subprocess.DEVNULL)
j.communicate(b'{"type": "event", "id": 1}\\n' * 50)
open(sys.argv[2], "w").write(json.dumps({k: base64.b64encode(v).decode() for k, v in log.items()}))
`;

/** The bytes of the calls that match, in call order. */
function stream(rows: IpcRow[], pred: (r: IpcRow) => boolean): Uint8Array {
  return concatBytes(rows.filter(pred).sort((a, b) => Number(a.seq - b.seq)).map((r) => r.data));
}

const text = (b: Uint8Array) => new TextDecoder().decode(b);

/**
 * Captures CLIENT_PY (with `opts`) into a fresh directory, checks that it succeeded and hands
 * the result and the path of the client's log to `check`.
 */
function captureClient(
  opts: Partial<CaptureOptions>,
  check: Parameters<typeof captureWithLog>[1],
): Promise<void> {
  return captureWithLog(["/usr/bin/python3", "-c", CLIENT_PY, SERVER_PY], check, opts);
}

Deno.test({
  name: "JSON-RPC over pipes and a socketpair is recorded from both ends; other pipes are not",
  ignore: skipWithoutRoot(),
  fn: () =>
    captureClient({}, async ({ res, rec, logPath }) => {
      assert.equal(res.manifest.options.ipc, true);
      const log = Object.fromEntries(
        Object.entries(JSON.parse(await Deno.readTextFile(logPath))).map((
          [k, v],
        ) => [k, text(Uint8Array.from(atob(v as string), (c) => c.charCodeAt(0)))]),
      );
      const client = rec.manifest.root_pid!;
      const ipc = rec.ipc;
      assert.ok(ipc.every((r) => r.lost === 0n && !r.truncated), "nothing lost or cut");

      for (const t of ["pipe", "unix", "framed"]) {
        const server = Number(log[`${t}_pid`]);
        const kind = t === "unix" ? "unix" : "pipe";
        const sent = ipc.filter((r) => r.pid === client && r.peer_pid === server);
        const got = ipc.filter((r) => r.pid === server && r.peer_pid === client);
        assert.ok(sent.length && got.length, `${t}: both ends recorded with their peer`);
        assert.ok([...sent, ...got].every((r) => r.kind === kind), `${t}: kind ${kind}`);
        const w = (rs: IpcRow[]) => stream(rs, (r) => r.direction === "write");
        const r = (rs: IpcRow[]) => stream(rs, (r) => r.direction === "read");
        // what each side wrote is what it meant to send, and what the other read
        assert.equal(text(w(sent)), log[`${t}_req`], `${t}: the client's writes`);
        assert.equal(text(r(got)), log[`${t}_req`], `${t}: the server's reads`);
        assert.equal(text(w(got)), log[`${t}_res`], `${t}: the server's writes`);
        assert.equal(text(r(sent)), log[`${t}_res`], `${t}: the client's reads`);
        if (kind === "pipe") {
          // both ends of a pipe share its inode
          const inodes = new Set(sent.filter((x) => x.direction === "write").map((x) => x.inode));
          assert.ok(got.some((x) => x.direction === "read" && inodes.has(x.inode)));
        } else {
          for (const x of sent) assert.ok(got.some((y) => y.inode === x.peer_inode));
        }
      }
      assert.ok(log.framed_res.length > 100_000, "the framed answer is large");
      // nothing else: the ordinary pipeline and the JSON that is not JSON-RPC
      const known = new Set([
        client,
        ...["pipe", "unix", "framed"].map((t) => Number(log[`${t}_pid`])),
      ]);
      const others = ipc.filter((r) => !known.has(r.pid));
      assert.deepEqual(others.map((r) => [r.pid, text(r.data).slice(0, 40)]), []);
      assert.ok(!ipc.some((r) => text(r.data).includes('"type"')), "no JSON that is not JSON-RPC");
      assert.ok(rec.manifest.tables.ipc.rows === ipc.length);
    }),
});

Deno.test({
  name: "calls longer than --max-tls-bytes are cut, flagged and shown in the summary",
  ignore: skipWithoutRoot(),
  fn: () =>
    captureClient({ maxTlsBytes: 4096 }, ({ res, rec }) => {
      const cut = rec.ipc.filter((r) => r.truncated);
      assert.ok(cut.length >= 2, "the 100 kB answer, written and read, is cut");
      for (const r of cut) {
        assert.ok(r.len > 4096n, "a cut call moved more than the limit");
        assert.equal(r.data.length, 4096, "and keeps the limit's bytes");
      }
      assert.ok(
        cut.some((r) => r.direction === "write" && text(r.data).startsWith("Content-Length")),
      );
      assert.ok(rec.ipc.some((r) => !r.truncated), "short calls are whole");
      assert.ok(
        res.manifest.warnings.some((w) =>
          w.startsWith(`ipc: ${cut.length} calls of JSON-RPC on pipes and unix sockets cut`)
        ),
        res.manifest.warnings.join("; "),
      );
    }),
});

Deno.test({
  name: "--no-ipc: no ipc.arrow",
  ignore: skipWithoutRoot(),
  fn: () =>
    captureClient({ ipc: false }, async ({ res, rec }) => {
      assert.equal(res.manifest.options.ipc, false);
      assert.equal(rec.manifest.tables.ipc, undefined);
      await assert.rejects(Deno.stat(`${res.dir}/ipc.arrow`), Deno.errors.NotFound);
    }),
});
