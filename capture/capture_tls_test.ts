/**
 * Capture of real TLS clients (python3 urllib, curl, node https) against a local HTTPS
 * server: the exact request and response bytes come back out of tls.arrow.
 */
import assert from "node:assert/strict";
import { sharedTestCerts } from "../tests/support/certs.ts";
import {
  masked,
  SESSION_COOKIE,
  simpleResponse,
  startRawHttpsServer,
  withHttpsServer,
} from "../tests/support/raw_https_server.ts";
import { skipWithoutRoot } from "../tests/support/ebpf.ts";
import { captureForTest } from "../tests/support/capture.ts";
import { tlsStreams } from "../recording/recording.ts";
import {
  buildSharedClients,
  buildStaticClients,
  buildStaticPieClients,
} from "../tests/support/static_openssl.ts";

const dec = new TextDecoder();

function includesBytes(hay: Uint8Array, needle: Uint8Array): boolean {
  outer: for (let i = 0; i + needle.length <= hay.length; i++) {
    for (let j = 0; j < needle.length; j++) if (hay[i + j] !== needle[j]) continue outer;
    return true;
  }
  return false;
}

function captureClient(cmd: string[], env: Record<string, string> = {}, extra = {}) {
  return captureForTest({ cmd, env, ...extra });
}

/** The server's one exchange is `lib`'s recorded TLS stream byte for byte: the request as the
 * client wrote it, the response with its session cookie masked as the capture redacts it. */
function assertExchangeRecorded(
  rec: Awaited<ReturnType<typeof captureClient>>["rec"],
  srv: ReturnType<typeof startRawHttpsServer>,
  lib: string,
) {
  assert.equal(srv.exchanges.length, 1);
  const s = tlsStreams(rec.tls).find((s) => s.write.length);
  assert.ok(s, "the client's TLS plaintext is recorded");
  assert.equal(s.lib, lib);
  assert.equal(dec.decode(s.write), dec.decode(srv.exchanges[0].request));
  assert.equal(
    dec.decode(s.read),
    masked(dec.decode(srv.exchanges[0].response), SESSION_COOKIE),
  );
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
    await withHttpsServer(() => simpleResponse("hello from the server"), async (srv, c) => {
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
      assert.equal(
        dec.decode(s.write),
        masked(dec.decode(ex.request), "Bearer sk-test-SECRET-123"),
      );
      assert.equal(dec.decode(s.read), masked(dec.decode(ex.response), SESSION_COOKIE));
      assert.equal(s.gaps, 0);
      assert.equal(s.lost, 0);
      assert.ok(s.lib.includes("libssl"), `hooked ${s.lib}`);
      assert.ok(!dec.decode(s.write).includes("SECRET"));
    });
  },
});

Deno.test({
  name: "curl: request and response bytes recovered exactly; x-api-key redacted",
  ignore: skipWithoutRoot(),
  async fn() {
    const answer = () => simpleResponse('{"ok":true}', "application/json");
    await withHttpsServer(answer, async (srv, c) => {
      const { res, rec } = await captureClient([
        "curl",
        "-sS",
        "--http1.1",
        "--cacert",
        c.caPath,
        "-H",
        "x-api-key: sk-ant-SECRET-curl",
        "--data-binary",
        '{"model":"m","messages":[]}',
        `${srv.url}/v1/messages`,
      ]);
      assert.equal(res.exitCode, 0);
      assert.equal(srv.exchanges.length, 1);
      const ex = srv.exchanges[0];
      const s = tlsStreams(rec.tls).find((s) => s.write.length)!;
      assert.ok(s, "a TLS stream was recorded");
      assert.equal(dec.decode(s.write), masked(dec.decode(ex.request), "sk-ant-SECRET-curl"));
      assert.equal(dec.decode(s.read), masked(dec.decode(ex.response), SESSION_COOKIE));
    });
  },
});

Deno.test({
  name: "git over HTTPS (libcurl-gnutls, GnuTLS): request and response bytes recovered exactly",
  ignore: skipWithoutRoot(),
  async fn() {
    const c = await sharedTestCerts();
    const srv = startRawHttpsServer(c, () => simpleResponse("not a git server"));
    const home = await Deno.makeTempDir({ prefix: "sl-git-home-" });
    try {
      const { rec } = await captureClient(
        ["git", "ls-remote", `${srv.url}/repo.git`],
        { GIT_SSL_CAINFO: c.caPath, HOME: home, GIT_TERMINAL_PROMPT: "0" },
      );
      assert.ok(srv.exchanges.length >= 1, "git reached the server");
      const ex = srv.exchanges[0];
      assert.match(
        dec.decode(ex.request),
        /^GET \/repo\.git\/info\/refs\?service=git-upload-pack /,
      );
      const s = tlsStreams(rec.tls).find((s) => s.write.length)!;
      assert.ok(s, "a TLS stream was recorded");
      assert.match(s.lib, /libgnutls\.so/, `hooked ${s.lib}`);
      assert.ok(
        rec.tls.every((r) => r.fn.startsWith("gnutls_record_")),
        "through gnutls_record_send/recv",
      );
      // git asks again on the same connection (the dumb protocol's HEAD): every exchange
      const all = (k: "request" | "response") =>
        srv.exchanges.map((e) => dec.decode(e[k])).join("");
      assert.equal(dec.decode(s.write), all("request"));
      assert.equal(dec.decode(s.read), masked(all("response"), SESSION_COOKIE));
    } finally {
      await srv.close();
      await Deno.remove(home, { recursive: true });
    }
  },
});

Deno.test({
  name: "a stripped binary with OpenSSL linked in statically: request and response exactly",
  ignore: skipWithoutRoot(),
  async fn() {
    const c = await sharedTestCerts();
    const bin = await buildStaticClients();
    const srv = startRawHttpsServer(c, () => simpleResponse("static reply"));
    try {
      const { res, rec } = await captureClient([
        bin.stripped,
        "127.0.0.1",
        String(srv.port),
        c.caPath,
        "/v1/static",
      ]);
      assert.equal(res.exitCode, 0);
      assertExchangeRecorded(rec, srv, bin.stripped);
      assert.deepEqual([...new Set(rec.tls.map((r) => r.fn))].sort(), [
        "ssl_read_internal",
        "ssl_write_internal",
      ]);
    } finally {
      await srv.close();
      await Deno.remove(bin.dir, { recursive: true });
    }
  },
});

Deno.test({
  name:
    "a static-PIE without the DF_1_PIE flag (an old linker's: no interpreter, no DT_NEEDED) is hooked: request and response exactly",
  ignore: skipWithoutRoot(),
  async fn() {
    // taken for a library that imports no connect, it was never located: nothing recorded
    const c = await sharedTestCerts();
    const bin = await buildStaticPieClients();
    const srv = startRawHttpsServer(c, () => simpleResponse("static-pie reply"));
    try {
      const { res, rec } = await captureClient([
        bin.noPieFlag,
        "127.0.0.1",
        String(srv.port),
        c.caPath,
        "/v1/static-pie",
      ]);
      assert.equal(res.exitCode, 0);
      assertExchangeRecorded(rec, srv, bin.noPieFlag);
    } finally {
      await srv.close();
      await Deno.remove(bin.dir, { recursive: true });
    }
  },
});

Deno.test({
  name:
    "a library loaded by dlopen with OpenSSL linked in and hidden: request and response exactly",
  ignore: skipWithoutRoot(),
  async fn() {
    // the shape of a Node addon with its own TLS (GitHub Copilot CLI's runtime.node: rustls):
    // the library is mapped after the program starts, and exports no TLS function
    const c = await sharedTestCerts();
    const libs = await buildSharedClients();
    const srv = startRawHttpsServer(c, () => simpleResponse("addon reply"));
    try {
      const { res, rec } = await captureClient([
        libs.loader,
        libs.statically,
        "127.0.0.1",
        String(srv.port),
        c.caPath,
        "/v1/addon",
      ]);
      assert.equal(res.exitCode, 0);
      assertExchangeRecorded(rec, srv, libs.statically);
    } finally {
      await srv.close();
      await Deno.remove(libs.dir, { recursive: true });
    }
  },
});

const NODE_GET = `
const https = require("https");
const req = https.request(process.argv[1] + "/v1/models?x=1", { method: "POST",
  headers: { "x-goog-api-key": "AIza-SECRET-node", "content-type": "application/json" } },
  (res) => { let b = ""; res.on("data", (d) => b += d); res.on("end", () => console.log(b)); });
req.end(JSON.stringify({ contents: [{ parts: [{ text: "hi from node" }] }] }));
`;

Deno.test({
  name: "node https: request and response bytes recovered exactly (OpenSSL inside node)",
  ignore: skipWithoutRoot(),
  async fn() {
    await withHttpsServer(() => simpleResponse("node reply"), async (srv, c) => {
      const { res, rec } = await captureClient(["node", "-e", NODE_GET, srv.url], {
        NODE_EXTRA_CA_CERTS: c.caPath,
      });
      assert.equal(res.exitCode, 0);
      assert.equal(srv.exchanges.length, 1);
      const ex = srv.exchanges[0];
      const s = tlsStreams(rec.tls).find((s) => s.write.length)!;
      assert.ok(s.lib.endsWith("/node"), `hooked ${s.lib}`);
      assert.equal(dec.decode(s.write), masked(dec.decode(ex.request), "AIza-SECRET-node"));
      assert.ok(dec.decode(s.read).endsWith("node reply"));
      assert.equal(dec.decode(s.read), masked(dec.decode(ex.response), SESSION_COOKIE));
    });
  },
});

const DENO_FETCH = `
const r = await fetch(Deno.args[0] + "/v1/chat/completions", { method: "POST",
  headers: { "authorization": "Bearer sk-SECRET-deno", "content-type": "application/json" },
  body: JSON.stringify({ model: "m", messages: [{ role: "user", content: "hi from deno" }] }) });
console.log(await r.text());
`;

Deno.test({
  name: "deno fetch (rustls on aws-lc, static and stripped): request and response recovered",
  ignore: skipWithoutRoot(),
  async fn() {
    // The deno that runs Sightline (and these tests): its aws-lc is built for size, which once
    // hid aead.c's error-site constants from the locator (`push imm; pop reg`).
    const deno = Deno.realPathSync(Deno.execPath());
    const dir = await Deno.makeTempDir({ prefix: "sl-deno-fetch-" });
    try {
      await withHttpsServer(() => simpleResponse('{"ok":"deno"}', "application/json"), async (
        srv,
        c,
      ) => {
        const { res, rec } = await captureClient(
          [deno, "eval", "--cert", c.caPath, DENO_FETCH, srv.url],
          { DENO_DIR: dir, NO_COLOR: "1" },
        );
        assert.equal(res.exitCode, 0);
        assert.equal(srv.exchanges.length, 1);
        const ex = srv.exchanges[0];
        const s = tlsStreams(rec.tls).find((s) => s.write.length);
        assert.ok(s, "deno's TLS plaintext is recorded");
        assert.equal(s.lib, deno);
        assert.equal(dec.decode(s.write), masked(dec.decode(ex.request), "Bearer sk-SECRET-deno"));
        assert.equal(dec.decode(s.read), masked(dec.decode(ex.response), SESSION_COOKIE));
        assert.equal(s.lost, 0);
      });
    } finally {
      await Deno.remove(dir, { recursive: true });
    }
  },
});

/** 1 MiB of varied bytes (so that a misplaced chunk cannot go unnoticed). */
function mebibyte(): Uint8Array {
  const b = new Uint8Array(1 << 20);
  let x = 12345;
  for (let i = 0; i < b.length; i++) {
    x = (x * 1103515245 + 12345) >>> 0;
    b[i] = 32 + (x >>> 24) % 90;
  }
  return b;
}

Deno.test({
  name: "a 1 MiB request body is recorded whole; with --max-tls-bytes it is cut exactly",
  ignore: skipWithoutRoot(),
  async fn() {
    const c = await sharedTestCerts();
    const body = mebibyte();
    const bodyFile = await Deno.makeTempFile();
    await Deno.writeFile(bodyFile, body);
    const srv = startRawHttpsServer(c, (r) => simpleResponse(`got ${r.body.length}`));
    try {
      const cmd = ["/usr/bin/python3", "-c", PY_POST, srv.url, c.caPath, bodyFile];
      // whole
      {
        const { rec } = await captureClient(cmd);
        const s = tlsStreams(rec.tls).find((s) => s.write.length)!;
        assert.equal(s.write.length, srv.exchanges[0].request.length);
        assert.ok(includesBytes(s.write, body), "the whole body is in the write stream");
        assert.equal(s.truncated, false);
        assert.equal(s.lost, 0);
        const bodyRow = rec.tls.find((r) =>
          r.direction === "write" && r.len === BigInt(body.length)
        )!;
        assert.ok(bodyRow, "one call moved the whole body");
        assert.equal(bodyRow.data.length, body.length);
      }
      // cut at 64 KiB
      {
        const { rec } = await captureClient(cmd, {}, { maxTlsBytes: 65536 });
        const bodyRow = rec.tls.find((r) =>
          r.direction === "write" && r.len === BigInt(body.length)
        )!;
        assert.ok(bodyRow);
        assert.equal(bodyRow.truncated, true);
        assert.equal(bodyRow.data.length, 65536);
        assert.deepEqual(bodyRow.data, body.subarray(0, 65536));
        assert.equal(bodyRow.lost, 0n);
        for (const r of rec.tls.filter((r) => r !== bodyRow)) {
          assert.equal(r.truncated, r.len > 65536n, "only calls above the limit are cut");
        }
      }
    } finally {
      await srv.close();
      await Deno.remove(bodyFile);
    }
  },
});

Deno.test({
  name: "--keep-secrets keeps the header values",
  ignore: skipWithoutRoot(),
  async fn() {
    await withHttpsServer(() => simpleResponse("ok"), async (srv, c) => {
      const { rec } = await captureClient(
        ["/usr/bin/python3", "-c", PY_POST, srv.url, c.caPath],
        {},
        { keepSecrets: true },
      );
      const s = tlsStreams(rec.tls).find((s) => s.write.length)!;
      assert.equal(dec.decode(s.write), dec.decode(srv.exchanges[0].request));
      assert.ok(dec.decode(s.read).includes(SESSION_COOKIE));
      assert.equal(rec.manifest.options.keep_secrets, true);
    });
  },
});
