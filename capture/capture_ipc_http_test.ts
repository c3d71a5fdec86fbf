/**
 * Capture of plaintext HTTP on loopback TCP (MCP's streamable-HTTP and HTTP+SSE transports),
 * real eBPF: a client POSTs JSON-RPC with an Authorization and an Mcp-Session-Id header to a
 * child HTTP server on 127.0.0.1 and on ::1, which answers JSON and then an event stream. Both
 * ends are in ipc.arrow as `tcp`, paired by their ports (peer pid and peer inode), with the
 * secrets masked at the same length; raw bytes on loopback TCP that are not HTTP are not
 * recorded; an HTTP proxy's CONNECT tunnel is recorded up to its first TLS record.
 */
import assert from "node:assert/strict";
import { skipWithoutRoot } from "../tests/support/ebpf.ts";
import { captureWithLog } from "../tests/support/capture.ts";
import { concatBytes } from "../kit/bytes.ts";
import type { IpcRow } from "../recording/schema.ts";
import type { Recording } from "../recording/recording.ts";

/** The server: JSON for the first POST, an event stream for the second, on one keep-alive
 * connection (one handle_request); one server per address family. */
const SERVER_PY = `
import sys, socket, http.server, json
class H(http.server.BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"
    def log_message(self, *a): pass
    def do_POST(self):
        req = json.loads(self.rfile.read(int(self.headers["Content-Length"])))
        res = json.dumps({"jsonrpc": "2.0", "id": req["id"], "result": {"ok": req["method"]}}).encode()
        if req["method"] == "initialize":
            self.send_response(200)
            self.send_header("Content-Type", "application/json")
            self.send_header("Mcp-Session-Id", "SESSION-abc123")
            self.send_header("Content-Length", str(len(res)))
            self.end_headers(); self.wfile.write(res)
        else:
            body = b"event: message\\ndata: " + res + b"\\n\\n"
            self.send_response(200)
            self.send_header("Content-Type", "text/event-stream")
            self.send_header("Content-Length", str(len(body)))
            self.end_headers(); self.wfile.write(body)
class S(http.server.HTTPServer):
    address_family = socket.AF_INET6 if sys.argv[1] == "::1" else socket.AF_INET
s = S((sys.argv[1], 0), H)
print(s.server_address[1], flush=True)
s.handle_request()
`;

/** The client: two POSTs to each server on one keep-alive connection, then raw bytes. */
const CLIENT_PY = `
import sys, subprocess, http.client, json, socket
out = {}
for host in ["127.0.0.1", "::1"]:
    p = subprocess.Popen([sys.executable, "-c", sys.argv[1], host], stdout=subprocess.PIPE)
    port = int(p.stdout.readline())
    c = http.client.HTTPConnection(host, port)
    for i, m in enumerate(["initialize", "tools/list"]):
        params = {"clientInfo": {"name": "t"}, "authToken": "TOKEN-xyz"} if i == 0 else {"cursor": "c"}
        body = json.dumps({"jsonrpc": "2.0", "id": i, "method": m, "params": params})
        c.request("POST", "/mcp", body, {"Content-Type": "application/json",
            "Authorization": "Bearer SECRET-987", "Mcp-Session-Id": "SESSION-abc123"})
        c.getresponse().read()
    c.close(); p.wait()
    out[host] = [p.pid, port]
# raw bytes on loopback TCP: not HTTP, not recorded
l = socket.socket(); l.bind(("127.0.0.1", 0)); l.listen()
k = socket.create_connection(l.getsockname()); a, _ = l.accept()
for _ in range(6): k.sendall(b"hello raw tcp\\n"); a.recv(100)
open(sys.argv[2], "w").write(json.dumps(out))
`;

const text = (b: Uint8Array) => new TextDecoder().decode(b);

/**
 * A test, as root only, of python3 running `args` (`-c` and its script first) under capture with
 * a log path as its last argument: `check` gets the recording and the JSON the script wrote there.
 */
function pythonTest<Log>(
  name: string,
  args: string[],
  check: (rec: Recording, log: Log) => void | Promise<void>,
) {
  Deno.test({
    name,
    ignore: skipWithoutRoot(),
    fn: () =>
      captureWithLog(["/usr/bin/python3", ...args], async ({ rec, logPath }) => {
        await check(rec, JSON.parse(await Deno.readTextFile(logPath)));
      }),
  });
}

/** The bytes of `rows` that went in `direction`, in order, as text. */
function stream(rows: IpcRow[], direction: "write" | "read"): string {
  const moved = rows.filter((r) => r.direction === direction);
  return text(concatBytes(moved.sort((a, b) => Number(a.seq - b.seq)).map((r) => r.data)));
}

pythonTest(
  "HTTP on loopback TCP is recorded from both ends, paired by ports, secrets masked",
  ["-c", CLIENT_PY, SERVER_PY],
  (rec, log: Record<string, number[]>) => {
    const client = rec.manifest.root_pid!;
    const ipc = rec.ipc;
    assert.ok(ipc.every((r) => r.lost === 0n && !r.truncated), "nothing lost or cut");
    for (const [host, [server, port]] of Object.entries(log)) {
      const sent = ipc.filter((r) => r.pid === client && r.remote_port === port);
      const got = ipc.filter((r) => r.pid === server && r.local_port === port);
      assert.ok(sent.length && got.length, `${host}: both ends recorded`);
      for (const r of [...sent, ...got]) assert.equal(r.kind, "tcp");
      assert.ok(sent.every((r) => r.peer_pid === server), `${host}: the client's peer`);
      assert.ok(got.every((r) => r.peer_pid === client), `${host}: the server's peer`);
      const serverInodes = new Set(got.map((r) => r.inode));
      assert.ok(sent.every((r) => r.peer_inode !== null && serverInodes.has(r.peer_inode)));
      const req = stream(sent, "write");
      const ans = stream(sent, "read");
      // what the client wrote, the server read; and back
      assert.equal(stream(got, "read"), req);
      assert.equal(stream(got, "write"), ans);
      assert.equal((req.match(/POST \/mcp HTTP\/1.1\r\n/g) ?? []).length, 2, `${host}: ${req}`);
      assert.ok(ans.includes("text/event-stream") && ans.includes('"ok": "tools/list"'));
      // secrets: masked, same length; the rest as it was
      for (const s of ["SECRET-987", "SESSION-abc123", "TOKEN-xyz"]) {
        assert.ok(![req, ans].some((t) => t.includes(s)), `${host}: ${s} masked`);
      }
      assert.ok(req.includes("Authorization: *****************\r\n"), req);
      // the session id: its keyed digest, the same length, the same in both requests and
      // the answer that assigned it (one id, one digest); the digest of no other
      const ids = [...`${req}${ans}`.matchAll(/Mcp-Session-Id: ([^\r]*)\r\n/g)].map((m) => m[1]);
      assert.equal(ids.length, 3, `${host}: ${ids}`); // two requests, the answer to initialize
      assert.equal(new Set(ids).size, 1, `${host}: ${ids}`);
      assert.match(ids[0], /^[\x21-\x7e]{14}$/);
      assert.ok(!/^\*+$/.test(ids[0]), "a digest, not a mask");
      assert.ok(req.includes('"authToken": "*********"'), "initialize's token masked");
      const lens = sent.filter((r) => r.direction === "write").map((r) => Number(r.len));
      assert.equal(req.length, lens.reduce((a, b) => a + b, 0), "same length");
    }
    assert.ok(!ipc.some((r) => text(r.data).includes("hello raw")), "raw TCP not recorded");
  },
);

/**
 * A chunked answer's last chunk written after the client has gone (what an MCP server does when
 * it ends a session's event stream after the client closed it): the client's closed socket
 * answers the write with a reset, which on loopback the server's socket takes inside that very
 * write, so at the call's exit the socket is closed and unhashed. Its row still has the
 * socket's ports, and so its peer, like the connection's other rows.
 */
const RESET_PY = `
import socket, sys, time, json
l = socket.socket(); l.bind(("127.0.0.1", 0)); l.listen()
k = socket.create_connection(l.getsockname()); a, _ = l.accept()
k.sendall(b"GET /mcp HTTP/1.1\\r\\nHost: x\\r\\nAccept: text/event-stream\\r\\n\\r\\n")
a.recv(1000)
a.sendall(b"HTTP/1.1 200 OK\\r\\nContent-Type: text/event-stream\\r\\nTransfer-Encoding: chunked\\r\\n\\r\\n")
k.recv(1000)
k.close()
while a.recv(1000): pass  # the client's FIN
n = a.send(b"0\\r\\n\\r\\n")  # answered by a reset
time.sleep(0.05)
try:
    a.send(b"0\\r\\n\\r\\n")
    reset = False
except OSError:
    reset = True
open(sys.argv[1], "w").write(json.dumps({"port": l.getsockname()[1], "sent": n, "reset": reset}))
`;

pythonTest(
  "a write the peer answers with a reset keeps the socket's ports and peer",
  ["-c", RESET_PY],
  (rec, log: { port: number; sent: number; reset: boolean }) => {
    assert.equal(log.sent, 5);
    assert.ok(log.reset, "the peer reset the connection");
    const served = rec.ipc.filter((r) => r.direction === "write" && r.remote_port !== log.port);
    assert.deepEqual(
      served.map((r) => [text(r.data).slice(0, 8), r.local_port, r.peer_inode !== null]),
      [["HTTP/1.1", log.port, true], ["0\r\n\r\n", log.port, true]],
    );
    assert.equal(new Set(served.map((r) => r.peer_inode)).size, 1, "one peer");
  },
);

/**
 * A peek (recv with MSG_PEEK, by recvfrom and by recvmsg: what curl does to a kept-alive
 * connection before it reuses it) leaves the bytes to the read that takes them: it is not
 * recorded, so each byte is in the stream once.
 */
const PEEK_PY = `
import socket, sys, json
l = socket.socket(); l.bind(("127.0.0.1", 0)); l.listen()
k = socket.create_connection(l.getsockname()); a, _ = l.accept()
k.sendall(b"GET /a HTTP/1.1\\r\\nHost: x\\r\\n\\r\\n")
assert a.recv(1, socket.MSG_PEEK) == b"G"
a.recv(1000)
a.sendall(b"HTTP/1.1 200 OK\\r\\nContent-Length: 0\\r\\n\\r\\n")
assert k.recvmsg(4, 0, socket.MSG_PEEK)[0] == b"HTTP"
k.recv(1000)
k.sendall(b"GET /b HTTP/1.1\\r\\nHost: x\\r\\n\\r\\n")
assert a.recvmsg(1, 0, socket.MSG_PEEK)[0] == b"G"
a.recv(1000)
open(sys.argv[1], "w").write(json.dumps({"port": l.getsockname()[1]}))
`;

pythonTest(
  "a peek (MSG_PEEK) is not recorded: each byte is in the stream once",
  ["-c", PEEK_PY],
  (rec, { port }: { port: number }) => {
    const client = rec.ipc.filter((r) => r.remote_port === port);
    const server = rec.ipc.filter((r) => r.local_port === port);
    const req = "GET /a HTTP/1.1\r\nHost: x\r\n\r\nGET /b HTTP/1.1\r\nHost: x\r\n\r\n";
    assert.equal(stream(client, "write"), req);
    assert.equal(stream(server, "read"), req);
    const ans = "HTTP/1.1 200 OK\r\nContent-Length: 0\r\n\r\n";
    assert.equal(stream(server, "write"), ans);
    assert.equal(stream(client, "read"), ans);
  },
);

/**
 * An HTTP proxy on loopback (`HTTPS_PROXY`): the client asks `CONNECT host:443`, the proxy
 * answers 200, then both speak TLS records through the tunnel (a ClientHello-like record, then
 * application-data-like ones each way). Both ends traced.
 */
const TUNNEL_PY = `
import socket, sys, json
l = socket.socket(); l.bind(("127.0.0.1", 0)); l.listen()
k = socket.create_connection(l.getsockname()); a, _ = l.accept()
k.sendall(b"CONNECT api.anthropic.com:443 HTTP/1.1\\r\\nHost: api.anthropic.com:443\\r\\nProxy-Authorization: Basic U0VDUkVU\\r\\n\\r\\n")
a.recv(1000)
a.sendall(b"HTTP/1.1 200 Connection established\\r\\n\\r\\n")
k.recv(1000)
k.sendall(b"\\x16\\x03\\x01\\x00\\x05hello"); a.recv(1000)
a.sendall(b"\\x16\\x03\\x03\\x00\\x05hello"); k.recv(1000)
for _ in range(4):
    k.sendall(b"\\x17\\x03\\x03\\x00\\x08CIPHERTX"); a.recv(1000)
    a.sendall(b"\\x17\\x03\\x03\\x00\\x08CIPHERTX"); k.recv(1000)
open(sys.argv[1], "w").write(json.dumps({"port": l.getsockname()[1]}))
`;

pythonTest(
  "an HTTP proxy's CONNECT tunnel is recorded up to its first TLS record, from both ends",
  ["-c", TUNNEL_PY],
  (rec, { port }: { port: number }) => {
    const rows = rec.ipc.filter((r) => r.local_port === port || r.remote_port === port);
    const seen = (client: boolean, direction: "write" | "read") =>
      stream(rows.filter((r) => (r.remote_port === port) === client), direction);
    const connect = "CONNECT api.anthropic.com:443 HTTP/1.1\r\nHost: api.anthropic.com:443\r\n" +
      "Proxy-Authorization: **************\r\n\r\n";
    const answer = "HTTP/1.1 200 Connection established\r\n\r\n";
    // the client's end and the proxy's: the CONNECT (its credentials masked, same length) and
    // the 200, and nothing after
    assert.equal(seen(true, "write"), connect);
    assert.equal(seen(true, "read"), answer);
    assert.equal(seen(false, "read"), connect);
    assert.equal(seen(false, "write"), answer);
    assert.ok(!rows.some((r) => r.data[0] === 0x16 || r.data[0] === 0x17), "no TLS recorded");
  },
);
