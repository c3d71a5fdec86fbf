/**
 * The analysis of an agent behind an HTTP proxy on loopback (`HTTPS_PROXY`): a real recording of
 * Claude Code running the tool_marker scenario through tinyproxy on 127.0.0.1, given the
 * scripted server as `https://api.anthropic.com:PORT`, a name only the proxy resolved
 * (tests/fixtures/analysis/claude_proxy_tool_marker, made by make_fixtures.ts under capture).
 * The agent connected to the proxy, sent `CONNECT api.anthropic.com:PORT`, got 200 and spoke TLS
 * in the tunnel: `ipc.arrow` holds the CONNECT and the 200 (the tunnel's ciphertext is not
 * recorded), `tls.arrow` the calls. The analysis must give the scripted calls with the API host
 * as their endpoint, the proxy as the connection's peer, and no problem and no MCP from the
 * CONNECT. (A recording made before the kernel side knew CONNECT, the tunnel recorded from the
 * proxy's 200 on, ciphertext and all: `mcp/http_messages_test.ts`, `cleartext_http_test.ts`.)
 */
import assert from "node:assert/strict";
import { openRecording } from "./recording_input.ts";
import {
  analysedFixture,
  assertScriptedAnswer,
  fixtureDir,
  scenarioExpectations,
  served,
} from "./testing.ts";
import { splitTcpConnection, type TcpChunk } from "./cleartext_http.ts";

const NAME = "claude_proxy";
const dec = new TextDecoder();

/** The fixture's ipc rows as the loopback reader takes them (one connection, client's end). */
function ipcChunks(): TcpChunk[] {
  const ipc = openRecording(fixtureDir(NAME)).tables.get("ipc")!;
  const v = ipc.values as Record<string, ArrayLike<unknown>>;
  return Array.from({ length: ipc.length }, (_, i) => ({
    recording: "r",
    pid: Number(v.pid[i]),
    conn: BigInt(v.inode[i] as bigint),
    channel: BigInt(v.inode[i] as bigint),
    direction: String(v.direction[i]),
    seq: BigInt(v.seq[i] as bigint),
    len: BigInt(v.len[i] as bigint),
    ts_ns: BigInt(v.ts_ns[i] as bigint),
    peer_pid: null,
    local_port: Number(v.local_port[i]),
    remote_port: Number(v.remote_port[i]),
    data: v.data[i] as Uint8Array,
    truncated: v.truncated[i] === true,
    lost: BigInt(v.lost[i] as bigint),
  }));
}

Deno.test("proxy fixture: ipc holds the CONNECT to the API host and the 200, not the tunnel", () => {
  const chunks = ipcChunks();
  const text = (d: string) =>
    chunks.filter((c) => c.direction === d).map((c) => dec.decode(c.data)).join("");
  assert.match(text("write"), /^CONNECT api\.anthropic\.com:\d+ HTTP\/1\.1\r\n[^]*\r\n\r\n$/);
  assert.match(text("read"), /^HTTP\/1\.[01] 200 [^]*\r\n\r\n$/);
  assert.ok(!chunks.some((c) => c.data[0] === 0x16 || c.data[0] === 0x17), "no TLS record");
  const t = splitTcpConnection(chunks);
  assert.match(t.tunnel?.target ?? "", /^api\.anthropic\.com:\d+$/);
  assert.deepEqual(t.unread, []);
});

Deno.test("proxy fixture: the scripted calls, the API host as endpoint, the proxy as peer", async () => {
  await analysedFixture(NAME, async (q) => {
    assert.deepEqual(await q("SELECT source, kind, message FROM problems"), []);
    const calls = await q("SELECT * FROM llm_calls ORDER BY llm_call_id");
    const want = scenarioExpectations("claude");
    assert.deepEqual(calls.map((c) => c.kind), served(NAME).requests.map((r) => r.kind));
    calls.forEach((c, i) => {
      assertScriptedAnswer(c as never, want[i]);
      assert.equal(c.transport, "http", "read from the TLS hooks, in the tunnel");
      assert.equal(c.model, "claude-opus-5-5");
      assert.equal(c.agent, "claude-code");
    });
    const tools = await q("SELECT * FROM tool_calls");
    assert.equal(tools.length, 1);
    assert.equal(tools[0].name, want[0].tool!.name);
    assert.equal(tools[0].result_llm_call_id, calls[1].llm_call_id);
    // the endpoint: the Host header inside the tunnel, the API's name and the server's port
    const xs = await q(
      "SELECT DISTINCT host, conn_gen FROM http_exchanges WHERE llm_call_id IS NOT NULL",
    );
    assert.equal(xs.length, 1);
    assert.match(String(xs[0].host), /^api\.anthropic\.com:\d+$/);
    assert.notEqual(xs[0].conn_gen, -1, "over TLS, not cleartext");
    // the network peer: the proxy, the only address the agent connected to; its port is the
    // one the CONNECT went to
    const connects = await q(
      `SELECT DISTINCT addr, port FROM net WHERE op = 'connect' AND pid = $pid
       AND family IN ('inet', 'inet6')`,
      { pid: calls[0].pid as number },
    );
    const proxyPorts = await q(
      "SELECT DISTINCT remote_port FROM ipc WHERE pid = $pid AND direction = 'write'",
      { pid: calls[0].pid as number },
    );
    assert.deepEqual(connects, [{ addr: "127.0.0.1", port: proxyPorts[0].remote_port }]);
    // the CONNECT is no MCP and no LLM call of its own
    const mcp = await q("SELECT count(*) AS n FROM mcp_messages");
    assert.equal(mcp[0].n, 0n);
    const cleartext = await q("SELECT count(*) AS n FROM http_exchanges WHERE conn_gen = -1");
    assert.equal(cleartext[0].n, 0n);
  });
});
