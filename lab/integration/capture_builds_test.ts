/**
 * Builds other than the pinned ones, installed from npm at run time (`.cache/agents/`), under
 * capture against the scripted model server, byte for byte: Claude Code 2.0.76 (`cli.js` on the
 * machine's node, as every release up to 2.1.109 was), Claude Code 1.0.0 (which refuses root:
 * started again where it is not root), Claude Code 2.1.150 (Bun 1.3.14,
 * whose BoringSSL calls ERR_put_error without its unused argument), Gemini CLI on Node 22 and
 * 24 (official builds, OpenSSL 3.5 inside), Codex 0.120.0, which
 * sends its HTTPS requests through a statically linked OpenSSL 3 (native-tls) and its
 * WebSocket (its default transport) through rustls over ring, and Codex 0.136.0, whose HTTPS
 * requests go through rustls over ring (0.129 to 0.140; aws-lc from 0.141), and GitHub Copilot
 * CLI 1.0.102 offline (BYOK), whose model calls go through the OpenSSL of runtime.node, a Rust
 * addon it unpacks into its HOME and loads with dlopen, not through its executable's: every
 * stack captured, in both directions.
 */
import assert from "node:assert/strict";
import { skipWithoutRoot } from "../../tests/support/ebpf.ts";
import { dirname } from "node:path";
import { BUILD_SPECS, installBuild, NODE_RUNTIME, systemNode } from "../coverage/builds.ts";
import { captureAgent, checkAgent, recordedWebSocket } from "../../tests/support/agent_capture.ts";
import { httpMessages } from "../../tests/support/http_messages.ts";
import { connKey, tlsStreams } from "../../recording/recording.ts";

async function build(agent: "claude" | "codex" | "copilot", version: string): Promise<string> {
  // downloads the build from npm on first use (CI starts from a clean clone)
  const b = await installBuild(BUILD_SPECS[agent], version);
  assert.equal(b.error, undefined, b.error);
  assert.ok(b.launcher, `no binary in ${b.dir}`);
  return b.launcher;
}

type Hooked = {
  hooked: { library?: string; path: string; checks?: { fn: string; state: string }[] }[];
};

Deno.test({
  name: "Claude Code 2.0.76 (cli.js on node, before the Bun binary) under capture: byte for byte",
  ignore: skipWithoutRoot(),
  async fn() {
    const launcher = await build("claude", "2.0.76");
    assert.match(Deno.readTextFileSync(launcher).slice(0, 40), /^#!.*node/, "a node script");
    const { rec } = await checkAgent("claude", "http/1.1", { binary: launcher });
    // its TLS is node's OpenSSL, hooked in the node that ran it
    const node = systemNode()!;
    const entry = (rec.manifest.attach as Hooked).hooked.find((h) => h.path === node);
    assert.ok(entry, `node (${node}) hooked: ${JSON.stringify(rec.manifest.attach)}`);
    assert.equal(entry.library, "openssl");
    const verified = entry.checks!.filter((c) => c.state === "verified").map((c) => c.fn);
    assert.deepEqual(verified.sort(), ["SSL_read", "SSL_write"], JSON.stringify(entry.checks));
  },
});

Deno.test({
  name:
    "Claude Code 1.0.0 (it refuses root) under capture, started where it is not root: byte for byte",
  ignore: skipWithoutRoot(),
  async fn() {
    const launcher = await build("claude", "1.0.0");
    const { result } = await checkAgent("claude", "http/1.1", { binary: launcher });
    assert.equal(result.notRoot, true, "started again where it is not root");
    // its refusal is seen as it exits (a few seconds under capture), not at the run's timeout
    // (120 s), and kept in the result
    const refusal = result.refusedRoot!;
    assert.match(refusal.stderr, /cannot be used with root\/sudo privileges/);
    assert.ok(refusal.ms < 30_000, `the first start took ${refusal.ms} ms`);
    assert.equal(result.timedOut, false);
  },
});

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
  name: "Codex 0.120.0 over HTTPS: its static OpenSSL (native-tls) captured byte for byte",
  ignore: skipWithoutRoot(),
  async fn() {
    const binary = await build("codex", "0.120.0");
    const { rec } = await checkAgent("codex", "http/1.1", { binary });
    const fns = new Set(rec.tls.map((r) => r.fn));
    assert.deepEqual([...fns].sort(), ["ssl_read_internal", "ssl_write_internal"]);
  },
});

Deno.test({
  name: "Codex 0.120.0 over its WebSocket: rustls over ring, every message both ways",
  ignore: skipWithoutRoot(),
  async fn() {
    const binary = await build("codex", "0.120.0");
    const { result, rec } = await captureAgent("codex", { binary, websocket: true });
    assert.equal(result.exitCode, 0, result.stderr.slice(-2000));
    assert.ok(rec.tls.every((r) => r.fn.startsWith("ring_")), "through ring's seal and open");
    const ws = recordedWebSocket(rec);
    assert.equal(ws.request.target, "/v1/responses");
    assert.equal(ws.response.status, 101);
    // what the server sent, every event in order; what Codex sent, one message per request
    const events = result.transcript.exchanges.flatMap((e) =>
      e.body!.split("\n").filter((l) => l.startsWith("data: ")).map((l) => l.slice(6))
    );
    assert.deepEqual(ws.server, events, "every server message, byte for byte");
    assert.equal(ws.client.length, result.requests.length);
    assert.ok(ws.client.at(-1)!.includes("token-"), "the tool result went back");
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

// Node agents run on whichever node the user has: the official builds bundle their own OpenSSL
// (3.5 in Node 22 and 24), each hooked in the node binary itself.
for (const version of ["22.23.5", "24.22.3"]) {
  Deno.test({
    name: `Gemini CLI on Node ${version} (its own OpenSSL) under capture: byte for byte`,
    ignore: skipWithoutRoot(),
    async fn() {
      const b = await installBuild(NODE_RUNTIME, version);
      assert.equal(b.error, undefined, b.error);
      const node = b.launcher!;
      const path = `${dirname(node)}:/usr/local/bin:/usr/bin:/bin`;
      const { rec } = await checkAgent("gemini", "http/1.1", { env: { PATH: path } });
      const hooked = (rec.manifest.attach as Hooked).hooked;
      const entry = hooked.find((h) => h.path === node);
      assert.ok(entry, `${node} hooked: ${JSON.stringify(hooked.map((h) => h.path))}`);
      assert.equal(entry.library, "openssl");
      const verified = entry.checks!.filter((c) => c.state === "verified").map((c) => c.fn);
      assert.deepEqual(verified.sort(), ["SSL_read", "SSL_write"], JSON.stringify(entry.checks));
      assert.ok(!hooked.some((h) => h.path === systemNode()), "not the machine's node");
    },
  });
}

Deno.test({
  name:
    "GitHub Copilot CLI 1.0.102 (BYOK) under capture: its model calls through runtime.node, the addon it loads, byte for byte",
  ignore: skipWithoutRoot(),
  async fn() {
    // the build coverage_test.ts locates: installed once into .cache/agents/ by whichever of
    // the two runs first (a download of about 190 MB from npm and its unpacking), then reused
    const binary = await build("copilot", "1.0.102");
    const { rec, result } = await checkAgent("copilot", "http/1.1", { binary });
    // every model call (a POST to the scripted server) came through the addon it unpacked into
    // the run's HOME, whatever other TLS the process made
    const calls = new Set(
      tlsStreams(rec.tls).filter((s) => httpMessages(s).requests.some((q) => q.method === "POST"))
        .map((s) => connKey({ pid: s.pid, conn_id: s.connId, conn_gen: s.connGen })),
    );
    assert.ok(calls.size > 0, "the model calls' connections");
    const libs = [...new Set(rec.tls.filter((r) => calls.has(connKey(r))).map((r) => r.lib))];
    assert.equal(libs.length, 1, `the model calls' TLS libraries: ${libs.join(", ")}`);
    assert.match(
      libs[0],
      /\/\.cache\/copilot\/pkg\/linux-x64\/1\.0\.102\/prebuilds\/linux-x64\/runtime\.node$/,
    );
    assert.ok(libs[0].includes(result.runDir.split("/").pop()!), "under the run's HOME");
    const hooked = (rec.manifest.attach as Hooked).hooked;
    const addon = hooked.find((h) => h.path === libs[0])!;
    const verified = addon.checks!.filter((c) => c.state === "verified").map((c) => c.fn);
    assert.deepEqual(verified.sort(), ["ssl_read_internal", "ssl_write_internal"]);
    // its executable is hooked too (node's OpenSSL, exported) but carried none of them
    assert.ok(hooked.some((h) => h.path === binary && h.library === "openssl"));
  },
});
