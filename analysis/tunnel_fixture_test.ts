/**
 * The analysis of an agent whose cleartext model calls go through an HTTP proxy's CONNECT
 * tunnel: a real recording of Gemini CLI running the tool_marker scenario against the scripted
 * server on plain HTTP, with `HTTPS_PROXY` set to tinyproxy on 127.0.0.1
 * (tests/fixtures/analysis/gemini_proxy_plain_http_tool_marker, made by make_fixtures.ts under
 * capture). Its undici `ProxyAgent` sends the `http://` calls through the proxy too:
 * `CONNECT 127.0.0.1:PORT`, the proxy's 200, then plain HTTP/1 in the tunnel, all of it in
 * `ipc.arrow`, nothing in `tls.arrow`. The analysis must read the tunnel past the CONNECT: the
 * scripted calls as `cleartext-http`, their host the model server (not the proxy), the agent's
 * connects the proxy's, no problem, nothing read as MCP. (Before cleartext_http.ts read such
 * tunnels, this recording gave no calls and no problem at all.)
 */
import assert from "node:assert/strict";
import { rmSync } from "node:fs";
import { dirname } from "node:path";
import { withDb } from "./analysed_db.ts";
import { queryRows } from "../kit/sql_runner.ts";
import { openRecording } from "./recording_input.ts";
import {
  analysedCopy,
  assertScriptedAnswer,
  fixtureDir,
  scenarioExpectations,
  served,
} from "./testing.ts";

const NAME = "gemini_proxy_plain_http";
const dec = new TextDecoder();

Deno.test("tunnelled cleartext fixture: the CONNECT and the HTTP after it in ipc, no TLS", () => {
  const rec = openRecording(fixtureDir(NAME));
  assert.deepEqual(rec.problems, []);
  assert.equal(rec.tables.get("tls")!.length, 0);
  const ipc = rec.tables.get("ipc")!;
  const text = (ipc.values.data as Uint8Array[]).map((d) => dec.decode(d)).join("");
  assert.match(text, /^CONNECT 127\.0\.0\.1:\d+ HTTP\/1\.1\r\n/);
  assert.match(text, /POST \/v1beta\/models\/gemini-3\.8-flash:streamGenerateContent/);
});

Deno.test("tunnelled cleartext fixture: the scripted calls, host the server, peer the proxy", async () => {
  const s = await analysedCopy(fixtureDir(NAME), { prefix: "sightline-tunnel-" });
  try {
    assert.deepEqual(s.problems, []);
    await withDb(s.db, async (c) => {
      const q = (sql: string) => queryRows(c, sql);
      const calls = await q("SELECT * FROM llm_calls ORDER BY llm_call_id");
      assert.deepEqual(
        calls.map((x) => x.kind),
        served(NAME).requests.filter((r) => r.method === "POST").map((r) => r.kind),
      );
      assert.ok(calls.every((x) => x.transport === "cleartext-http" && x.provider === "gemini"));
      const want = scenarioExpectations("gemini");
      const main = calls.filter((x) => x.kind === "main");
      assert.equal(main.length, want.length);
      main.forEach((x, i) => assertScriptedAnswer(x as never, want[i]));
      const tools = await q("SELECT * FROM tool_calls");
      assert.equal(tools.length, 1);
      assert.equal(tools[0].name, want[0].tool!.name);
      assert.equal(tools[0].result_llm_call_id, main[1].llm_call_id);
      // the endpoint is the CONNECT's target, the model server; the agent connected to the proxy
      const target = /^CONNECT (\S+) /.exec(
        String((await q("SELECT decode(data) AS t FROM ipc ORDER BY ts_ns LIMIT 1"))[0].t),
      )![1];
      const hosts = await q(
        "SELECT DISTINCT e.host, e.path FROM llm_calls l JOIN http_exchanges e " +
          "USING (recording, exchange_id)",
      );
      assert.deepEqual([...new Set(hosts.map((h) => h.host))], [target]);
      assert.ok(hosts.every((h) => String(h.path).startsWith("/v1beta/models/")));
      const peers = await q(
        "SELECT DISTINCT port FROM net WHERE op = 'connect' AND family = 'inet' AND port <> 53",
      );
      assert.equal(peers.length, 1);
      assert.notEqual(`127.0.0.1:${peers[0].port}`, target, "the peer is the proxy");
      const mcp = await q("SELECT count(*) AS n FROM mcp_messages");
      assert.equal(Number(mcp[0].n), 0);
    }, { readOnly: true });
  } finally {
    rmSync(dirname(s.dir), { recursive: true, force: true });
  }
});
