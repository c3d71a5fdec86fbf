/**
 * Capture of real TLS clients (python3 urllib, curl, node https) against a local HTTPS
 * server: the exact request and response bytes come back out of tls.arrow.
 */
import assert from "node:assert/strict";
import { makeTestCerts, type TestCerts } from "../tests/support/certs.ts";
import { simpleResponse, startRawHttpsServer } from "../tests/support/raw_https_server.ts";
import { skipWithoutRoot } from "../tests/support/ebpf.ts";
import { run } from "./recorder.ts";
import { readRecording, tlsStreams } from "./recording.ts";

const dec = new TextDecoder();
let certs: TestCerts | undefined;
async function getCerts() {
  return certs ??= await makeTestCerts();
}

function includesBytes(hay: Uint8Array, needle: Uint8Array): boolean {
  outer: for (let i = 0; i + needle.length <= hay.length; i++) {
    for (let j = 0; j < needle.length; j++) if (hay[i + j] !== needle[j]) continue outer;
    return true;
  }
  return false;
}

async function captureClient(cmd: string[], env: Record<string, string> = {}, extra = {}) {
  const out = await Deno.makeTempDir({ prefix: "sl-rec-" });
  const res = await run({ cmd, out: `${out}/rec`, quiet: true, env, ...extra });
  return { res, rec: readRecording(`${out}/rec`) };
}

const PY_POST = `
import ssl, sys, urllib.request
ctx = ssl.create_default_context(cafile=sys.argv[2])
body = open(sys.argv[3], "rb").read() if len(sys.argv) > 3 else b'{"hello": "world"}'
req = urllib.request.Request(sys.argv[1] + "/v1/echo", data=body, method="POST",
    headers={"Authorization": "Bearer sk-test-SECRET-123", "Content-Type": "application/json"})
print(urllib.request.urlopen(req, context=ctx).read().decode())
`;

Deno.test({
  name: "python3 urllib: request and response bytes recovered exactly, secrets redacted",
  ignore: skipWithoutRoot(),
  async fn() {
    const c = await getCerts();
    const srv = startRawHttpsServer(c, () => simpleResponse("hello from the server"));
    try {
      const { res, rec } = await captureClient([
        "/usr/bin/python3",
        "-c",
        PY_POST,
        srv.url,
        c.caPath,
      ]);
      assert.equal(res.exitCode, 0);
      assert.equal(srv.exchanges.length, 1);
      const ex = srv.exchanges[0];
      const streams = tlsStreams(rec.tls).filter((s) => s.write.length || s.read.length);
      assert.equal(streams.length, 1, "one TLS connection");
      const s = streams[0];
      const wantReq = dec.decode(ex.request).replace("Bearer sk-test-SECRET-123", "*".repeat(25));
      assert.equal(dec.decode(s.write), wantReq);
      const wantResp = dec.decode(ex.response).replace(
        "session=s3cr3t-cookie-value",
        "*".repeat("session=s3cr3t-cookie-value".length),
      );
      assert.equal(dec.decode(s.read), wantResp);
      assert.equal(s.gaps, 0);
      assert.equal(s.lost, 0);
      assert.ok(s.lib.includes("libssl"), `hooked ${s.lib}`);
      assert.ok(!dec.decode(s.write).includes("SECRET"));
    } finally {
      await srv.close();
    }
  },
});
