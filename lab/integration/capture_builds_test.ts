/**
 * Builds other than the pinned ones, installed from npm at run time (`.cache/agents/`), under
 * capture against the scripted model server, byte for byte: Claude Code 2.1.150 (Bun 1.3.14,
 * whose BoringSSL calls ERR_put_error without its unused argument), Codex 0.120.0, which
 * sends its model requests through a statically linked OpenSSL 3 (native-tls) and its
 * WebSocket connections through rustls over ring, and Codex 0.136.0, whose model requests go
 * through rustls over ring (0.129 to 0.140; aws-lc from 0.141): every stack captured, in both
 * directions.
 */
import assert from "node:assert/strict";
import { skipWithoutRoot } from "../../tests/support/ebpf.ts";
import { tlsStreams } from "../../recording/recording.ts";
import { BUILD_SPECS, installBuild } from "../coverage/builds.ts";
import { checkAgent } from "../../tests/support/agent_capture.ts";

const dec = new TextDecoder();

async function build(agent: "claude" | "codex", version: string): Promise<string> {
  // downloads the build from npm on first use (CI starts from a clean clone)
  const b = await installBuild(BUILD_SPECS[agent], version);
  assert.equal(b.error, undefined, b.error);
  assert.ok(b.launcher, `no binary in ${b.dir}`);
  return b.launcher;
}

type Hooked = { hooked: { library?: string; path: string; checks?: { state: string }[] }[] };

Deno.test({
  name: "Claude Code 2.1.150 (Bun 1.3.14) under capture: byte for byte",
  ignore: skipWithoutRoot(),
  async fn() {
    const binary = await build("claude", "2.1.150");
    const { rec } = await checkAgent("claude", "http/1.1", { binary });
    const entry = (rec.manifest.attach as Hooked).hooked.find((h) => h.path === binary)!;
    assert.equal(entry.library, "boringssl");
    assert.ok(entry.checks!.every((c) => c.state === "verified"), JSON.stringify(entry.checks));
    assert.ok(rec.tls.every((r) => r.fn === "SSL_write" || r.fn === "SSL_read"));
  },
});

Deno.test({
  name:
    "Codex 0.120.0: static OpenSSL (HTTPS) byte for byte, rustls over ring (WebSocket) both ways",
  ignore: skipWithoutRoot(),
  async fn() {
    const binary = await build("codex", "0.120.0");
    // let it try its WebSocket transport first (the scripted server answers 404, and it falls
    // back to HTTPS): that connection is rustls over ring
    const ws = (argv: string[]) =>
      argv.flatMap((a) =>
        a === "exec" ? [a, "-c", "model_providers.sightline.supports_websockets=true"] : [a]
      );
    const { rec, result } = await checkAgent("codex", "http/1.1", { binary, args: ws });
    const fns = new Set(rec.tls.map((r) => r.fn));
    assert.ok(fns.has("ssl_write_internal") && fns.has("ssl_read_internal"), [...fns].join());
    // the WebSocket attempts: the upgrade request written through ring's seal, the server's
    // answer read through ring's open, on one connection each
    const ring = tlsStreams(rec.tls.filter((r) => r.fn.startsWith("ring_")));
    const tried = result.requests.filter((q) => q.method === "GET" && q.path === "/v1/responses");
    assert.ok(tried.length >= 1, "Codex tried the WebSocket transport");
    assert.equal(ring.length, tried.length, "one ring connection per attempt");
    for (const s of ring) {
      const req = dec.decode(s.write);
      assert.match(req, /^GET \/v1\/responses HTTP\/1\.1\r\n/);
      assert.match(req, /\r\nupgrade: websocket\r\n/i);
      assert.ok(req.endsWith("\r\n\r\n"), "the whole upgrade request");
      // the answer's head, whole; the body only if the client read on (it may give up first)
      const resp = dec.decode(s.read);
      assert.match(resp, /^HTTP\/1\.1 404 Not Found\r\n[^]*\r\n\r\n/);
      const length = Number(/\r\ncontent-length: (\d+)\r\n/i.exec(resp)?.[1]);
      const body = resp.slice(resp.indexOf("\r\n\r\n") + 4);
      if (body.length) {
        assert.equal(body.length, length);
        assert.match(JSON.parse(body).error.message, /no such endpoint: GET \/v1\/responses/);
      }
    }
  },
});

Deno.test({
  name: "Codex 0.136.0 (rustls over ring for its model requests) under capture: byte for byte",
  ignore: skipWithoutRoot(),
  async fn() {
    const binary = await build("codex", "0.136.0");
    const { rec } = await checkAgent("codex", "h2", { binary });
    const fns = new Set(rec.tls.map((r) => r.fn));
    assert.ok(fns.has("ring_aes_gcm_seal") && fns.has("ring_aes_gcm_open"), [...fns].join());
    // per-direction keys placed on their connection by the socket
    assert.ok(rec.tls.some((r) => r.fn === "ring_aes_gcm_open" && r.ctx_id !== r.conn_id));
  },
});
