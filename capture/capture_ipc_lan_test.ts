/**
 * Capture of cleartext HTTP to a non-loopback address (a model server on the LAN), real eBPF:
 * the addresses of a dummy interface (`tests/support/lan_address.ts`) stand for the LAN box.
 * A traced client POSTs an LLM request with an Authorization header to an untraced HTTP server
 * there, over IPv4 and IPv6: recorded as `tcp` with the peer's address and port, the secret
 * masked. On the same kind of socket, TLS's first bytes (then an HTTP request) and a status line
 * are not recorded at all (judged at once by the first call); a request in absolute form (to a
 * plain HTTP proxy there, `HTTP_PROXY`) and a proxy's CONNECT followed by cleartext (an
 * `http://` URL tunnelled through `HTTPS_PROXY`) are, whole. A traced
 * server there (a child of the client) is recorded from the request it reads, both ends paired
 * by their addresses and ports.
 */
import assert from "node:assert/strict";
import { skipWithoutRoot } from "../tests/support/ebpf.ts";
import { captureWithLog } from "../tests/support/capture.ts";
import { LAN_V4, LAN_V6, withLanAddress } from "../tests/support/lan_address.ts";
import { concatBytes } from "../kit/bytes.ts";
import type { IpcRow } from "../recording/schema.ts";

/** A traced server on the LAN address: answers one GET. */
const SERVER_PY = `
import sys, http.server
class H(http.server.BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"
    def log_message(self, *a): pass
    def do_GET(self):
        self.send_response(200)
        self.send_header("Content-Length", "2")
        self.end_headers(); self.wfile.write(b"ok")
s = http.server.HTTPServer((sys.argv[1], 0), H)
print(s.server_address[1], flush=True)
s.handle_request()
`;

/** The client: argv: the untraced servers' ports (JSON), the server's code, the log path. */
const CLIENT_PY = `
import sys, subprocess, http.client, json, socket, time
ports = json.loads(sys.argv[1])
out = {}
for host in ["${LAN_V4}", "${LAN_V6}"]:
    c = http.client.HTTPConnection(host, ports["http"])
    c.request("POST", "/v1/chat/completions", json.dumps({"model": "m", "messages": []}),
        {"Content-Type": "application/json", "Authorization": "Bearer SECRET-987"})
    c.getresponse().read(); c.close()
# to the raw listener: TLS's first bytes then a request; a status line; a proxy's CONNECT; a
# request in absolute form
for first in [b"\\x16\\x03\\x01\\x00\\x05hello", b"HTTP/1.1 200 OK\\r\\n\\r\\n",
              b"CONNECT api.example.com:443 HTTP/1.1\\r\\n\\r\\n",
              b"POST http://x/v1/messages HTTP/1.1\\r\\nHost: x\\r\\n\\r\\n"]:
    k = socket.create_connection(("${LAN_V4}", ports["raw"]))
    k.sendall(first); time.sleep(0.02)
    k.sendall(b"POST /v1/messages HTTP/1.1\\r\\nHost: x\\r\\n\\r\\n"); k.close()
p = subprocess.Popen([sys.executable, "-c", sys.argv[2], "${LAN_V4}"], stdout=subprocess.PIPE)
port = int(p.stdout.readline())
c = http.client.HTTPConnection("${LAN_V4}", port)
c.request("GET", "/health"); c.getresponse().read(); c.close(); p.wait()
out["server"] = [p.pid, port]
open(sys.argv[3], "w").write(json.dumps(out))
`;

const text = (b: Uint8Array) => new TextDecoder().decode(b);
const stream = (rows: IpcRow[]) =>
  text(concatBytes(rows.sort((a, b) => Number(a.seq - b.seq)).map((r) => r.data)));

Deno.test({
  name: "cleartext HTTP to a LAN address: requests recorded with the peer's address, TLS not",
  ignore: skipWithoutRoot(),
  fn: () =>
    withLanAddress(async () => {
      const ac = new AbortController();
      let served = 0;
      const http = Deno.serve(
        { hostname: "::", port: 0, signal: ac.signal, onListen: () => {} },
        async (req) => {
          await req.text();
          served++;
          return Response.json({ choices: [] });
        },
      );
      const raw = Deno.listen({ hostname: LAN_V4, port: 0 });
      const rawBytes: string[] = [];
      const drain = (async () => {
        for await (const conn of raw) {
          const b = new Uint8Array(4096);
          let s = "";
          for (let n; (n = await conn.read(b)) !== null;) s += text(b.subarray(0, n));
          rawBytes.push(s);
          conn.close();
        }
      })().catch(() => {});
      const ports = JSON.stringify({ http: http.addr.port, raw: raw.addr.port });
      try {
        await captureWithLog(
          ["/usr/bin/python3", "-c", CLIENT_PY, ports, SERVER_PY],
          async ({ rec, logPath }) => {
            const log = JSON.parse(await Deno.readTextFile(logPath)) as Record<string, number[]>;
            const client = rec.manifest.root_pid!;
            const ipc = rec.ipc;
            assert.equal(served, 2);
            assert.equal(rawBytes.length, 4, "the raw listener got its four connections");
            for (const host of [LAN_V4, LAN_V6]) {
              const rows = ipc.filter((r) =>
                r.remote_addr === host && r.remote_port === http.addr.port
              );
              assert.ok(rows.length >= 2, `${host}: recorded`);
              assert.ok(rows.every((r) => r.pid === client && r.kind === "tcp"));
              assert.ok(rows.every((r) => r.local_addr === host), "the source is the LAN address");
              assert.ok(rows.every((r) => r.peer_pid === null), "the server is not traced");
              const req = stream(rows.filter((r) => r.direction === "write"));
              const ans = stream(rows.filter((r) => r.direction === "read"));
              assert.match(req, /^POST \/v1\/chat\/completions HTTP\/1.1\r\n/);
              assert.ok(!req.includes("SECRET-987") && req.includes("Authorization: *****"), req);
              assert.match(ans, /^HTTP\/1.1 200 OK\r\n[^]*\{"choices":\[\]\}$/);
            }
            const rawRows = ipc.filter((r) => r.remote_port === raw.addr.port);
            const byConn = Map.groupBy(rawRows, (r) => r.local_port);
            const then = "POST /v1/messages HTTP/1.1\r\nHost: x\r\n\r\n";
            assert.deepEqual(
              [...byConn.values()].map((rows) => stream(rows)).sort(),
              [
                `CONNECT api.example.com:443 HTTP/1.1\r\n\r\n${then}`,
                `POST http://x/v1/messages HTTP/1.1\r\nHost: x\r\n\r\n${then}`,
              ],
              "TLS, status: not; CONNECT and absolute form: whole",
            );
            // the traced server on the LAN address: both ends, paired
            const [server, port] = log.server;
            const got = ipc.filter((r) => r.pid === server && r.local_port === port);
            const sent = ipc.filter((r) => r.pid === client && r.remote_port === port);
            assert.ok(got.length >= 2 && sent.length >= 2);
            assert.ok(got.every((r) => r.peer_pid === client && r.remote_addr === LAN_V4));
            assert.ok(sent.every((r) => r.peer_pid === server));
            assert.equal(
              stream(got.filter((r) => r.direction === "read")),
              stream(sent.filter((r) => r.direction === "write")),
            );
            assert.match(stream(got.filter((r) => r.direction === "write")), /\r\n\r\nok$/);
          },
        );
      } finally {
        ac.abort();
        raw.close();
        await http.finished;
        await drain;
      }
    }),
});
