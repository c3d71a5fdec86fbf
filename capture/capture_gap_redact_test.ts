/**
 * Redaction across a real capture gap (eBPF, root): a client writes its request head in two
 * TLS writes, the first longer than --max-tls-bytes and ending inside a header's name, so the
 * loader keeps only the first bytes of that write and the next write begins in the middle of
 * `Authorization`'s line. The recording must hold no byte of its value (before session 36 the
 * line after the gap went through raw: its name was lost with the gap), and the request and
 * the server's answer are recorded as ever.
 */
import assert from "node:assert/strict";
import { sharedTestCerts } from "../tests/support/certs.ts";
import { simpleResponse, startRawHttpsServer } from "../tests/support/raw_https_server.ts";
import { skipWithoutRoot } from "../tests/support/ebpf.ts";
import { captureForTest } from "../tests/support/capture.ts";
import { tlsStreams } from "../recording/recording.ts";

const SECRET = "sk-gap-SECRET-4242";

// two SSL_write calls: the first cut at --max-tls-bytes inside "X-Pad"'s value; the rest of it
// ("...\r\nAuthoriz") is lost, and the second begins "ation: Bearer ..."
const PY_SPLIT_HEAD = `
import socket, ssl, sys
from urllib.parse import urlparse
u = urlparse(sys.argv[1])
ctx = ssl.create_default_context(cafile=sys.argv[2])
s = ctx.wrap_socket(socket.create_connection((u.hostname, u.port)), server_hostname=u.hostname)
s.sendall(b"GET /v1/models HTTP/1.1\\r\\nHost: " + u.netloc.encode() + b"\\r\\nX-Pad: " +
          b"a" * 200 + b"\\r\\nAuthoriz")
s.sendall(b"ation: Bearer ${SECRET}\\r\\nAccept: */*\\r\\nConnection: close\\r\\n\\r\\n")
s.settimeout(20)
got = b""
while b"\\r\\n\\r\\n" not in got:
    b = s.recv(65536)
    if not b: break
    got += b
print(got.decode().split("\\r\\n")[0])
`;

Deno.test({
  name: "a header line whose name a real capture gap cut (--max-tls-bytes) is masked",
  ignore: skipWithoutRoot(),
  async fn() {
    const c = await sharedTestCerts();
    const srv = startRawHttpsServer(c, () => simpleResponse("models"));
    try {
      const cmd = ["/usr/bin/python3", "-c", PY_SPLIT_HEAD, srv.url, c.caPath];
      const { res, rec } = await captureForTest({ cmd, maxTlsBytes: 64 });
      assert.equal(res.exitCode, 0);
      assert.equal(srv.exchanges.length, 1);
      assert.ok(new TextDecoder().decode(srv.exchanges[0].request).includes(SECRET));
      const rows = rec.tls.filter((r) => r.direction === "write");
      const cut = rows.find((r) => r.truncated);
      assert.ok(cut, "the first write was cut at --max-tls-bytes: a real gap");
      assert.equal(cut.data.length, 64);
      const s = tlsStreams(rec.tls).find((s) => s.write.length)!;
      const written = new TextDecoder().decode(s.write);
      assert.ok(written.startsWith("GET /v1/models HTTP/1.1\r\n"), written);
      // the line after the gap: masked to its end; the framing lost, the lines after it
      // masked blind (punctuation kept) up to the next message (a body after may be MCP's)
      const after = "*".repeat(`ation: Bearer ${SECRET}`.length) + "\r\n******:****\r\n";
      assert.ok(written.includes(after), written);
      for (const part of [SECRET, "SECRET", "Bearer"]) assert.ok(!written.includes(part), part);
      assert.match(new TextDecoder().decode(s.read), /^HTTP\/1\.1 200/);
    } finally {
      await srv.close();
    }
  },
});
