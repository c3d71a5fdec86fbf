/**
 * Loopback TCP ends paired within their network namespace, real eBPF: two sandboxes (network
 * namespaces made by `unshare -n`, as bubblewrap's `--unshare-net` makes them), each with a
 * server on 127.0.0.1:3128 and a client that reaches it from port 45000 at the same moment —
 * the same four-tuple twice. Each client's rows name its own sandbox's server as their peer
 * (process and socket), never the other's.
 */
import assert from "node:assert/strict";
import { skipWithoutRoot } from "../tests/support/ebpf.ts";
import { captureWithLog } from "../tests/support/capture.ts";

/** In a new network namespace: loopback up, a server on :3128, one GET from port 45000. */
const SANDBOX_PY = `
import sys, os, subprocess, socket, time, json
subprocess.run(["ip", "link", "set", "lo", "up"], check=True)
server = subprocess.Popen([sys.executable, "-c", """
import http.server, sys
class H(http.server.BaseHTTPRequestHandler):
    def log_message(self, *a): pass
    def do_GET(self):
        body = sys.argv[1].encode()
        self.send_response(200); self.send_header("Content-Length", str(len(body)))
        self.end_headers(); self.wfile.write(body)
s = http.server.HTTPServer(("127.0.0.1", 3128), H)
print("up", flush=True)
s.handle_request()
""", sys.argv[1]], stdout=subprocess.PIPE)
server.stdout.readline()
# both sandboxes send at the same wall-clock moment
time.sleep(max(0.0, float(sys.argv[2]) - time.time()))
c = socket.socket()
c.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
c.bind(("127.0.0.1", 45000))
c.connect(("127.0.0.1", 3128))
c.sendall(b"GET /who HTTP/1.1\\r\\nHost: 127.0.0.1:3128\\r\\n\\r\\n")
got = b""
while chunk := c.recv(1000): got += chunk
got = got.decode()
c.close(); server.wait()
print(json.dumps({"client": os.getpid(), "server": server.pid, "got": got.split("\\r\\n")[-1]}))
`;

/** Starts both sandboxes and writes what each said to the log. */
const MAIN_PY = `
import sys, subprocess, time, json
at = time.time() + 1.5
runs = [subprocess.Popen(["unshare", "-n", sys.executable, "-c", sys.argv[1], tag, str(at)],
    stdout=subprocess.PIPE) for tag in ["A", "B"]]
out = [json.loads(p.communicate()[0]) for p in runs]
open(sys.argv[2], "w").write(json.dumps(out))
`;

Deno.test({
  name: "loopback TCP ends pair within their network namespace: two sandboxes, one four-tuple",
  ignore: skipWithoutRoot(),
  fn: () =>
    captureWithLog(["/usr/bin/python3", "-c", MAIN_PY, SANDBOX_PY], ({ rec, logPath }) => {
      const log = JSON.parse(Deno.readTextFileSync(logPath)) as {
        client: number;
        server: number;
        got: string;
      }[];
      assert.deepEqual(log.map((l) => l.got), ["A", "B"], "each client reached its own server");
      const ns = new Map(
        rec.process.filter((p) => p.net_ns !== null).map((p) => [p.pid, p.net_ns]),
      );
      assert.notEqual(ns.get(log[0].client), ns.get(log[1].client), "two network namespaces");
      for (const { client, server, got } of log) {
        const sent = rec.ipc.filter((r) => r.pid === client && r.kind === "tcp");
        const served = rec.ipc.filter((r) => r.pid === server && r.kind === "tcp");
        assert.ok(sent.length && served.length, `${got}: both ends recorded`);
        // the same four-tuple in both sandboxes
        for (const r of sent) {
          assert.deepEqual(
            [r.local_addr, r.local_port, r.remote_addr, r.remote_port],
            ["127.0.0.1", 45000, "127.0.0.1", 3128],
          );
        }
        const serverInodes = new Set(served.map((r) => r.inode));
        const clientInodes = new Set(sent.map((r) => r.inode));
        assert.ok(sent.every((r) => r.peer_pid === server), `${got}: the client's peer`);
        assert.ok(sent.every((r) => serverInodes.has(r.peer_inode!)), `${got}: its socket`);
        assert.ok(served.every((r) => r.peer_pid === client), `${got}: the server's peer`);
        assert.ok(served.every((r) => clientInodes.has(r.peer_inode!)), `${got}: its socket`);
      }
    }),
});
