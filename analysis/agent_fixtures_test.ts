/**
 * The analysis on real bytes: recordings of Claude Code (HTTP/1.1, Bun/BoringSSL), Gemini CLI
 * (HTTP/1.1, node/OpenSSL) and Codex (HTTP/2 over rustls records) running the tool_marker
 * scenario (tests/fixtures/analysis/, made by make_fixtures.ts). Checked three ways: against the
 * scenario and what the server logged (the oracle), against golden tables (rewritten only by
 * `deno test -A analysis/ -- --update`), and for the same output whatever the split of the
 * bytes into TLS calls (whole, byte by byte, every split point, random).
 */
import assert from "node:assert/strict";
import { priceFor } from "./pricing.ts";
import { rebuildConnections } from "./byte_streams.ts";
import {
  AGENT_FIXTURES,
  assertGoldenTables,
  assertSameBytewise,
  assertScriptedAnswer,
  build,
  connectionsDigest,
  fixtureDir,
  fixtureTls,
  prices,
  randomSplit,
  rechunk,
  scenarioExpectations,
  served,
  splitAt,
  streamBytes,
} from "./testing.ts";
import { openRecording } from "./recording_input.ts";

const dec = new TextDecoder();

for (const agent of AGENT_FIXTURES) {
  Deno.test(`${agent} fixture: calls, tools and tokens are what the scenario scripted`, async () => {
    const t = await build(fixtureTls(agent));
    const main = t.calls.filter((c) => c.kind === "main");
    const want = scenarioExpectations(agent);
    assert.equal(main.length, want.length, "one main call per scripted turn");
    main.forEach((c, i) => {
      const w = want[i];
      assertScriptedAnswer(c, w);
      assert.equal(c.incomplete, false);
      assert.equal(c.status, 200);
      // priced when the table has its model's own price (Claude's), else no cost (gpt-5.5)
      assert.equal(
        c.cost_usd !== null && c.cost_usd > 0,
        priceFor(prices, c.model) !== null,
        `${c.model}: priced exactly when the table prices it`,
      );
      assert.ok(c.request_ns! <= c.first_byte_ns! && c.first_byte_ns! <= c.first_token_ns!);
      assert.ok(c.first_token_ns! <= c.end_ns!);
      const tools = t.tools.filter((x) => x.llm_call_id === c.llm_call_id);
      assert.equal(tools.length, w.tool ? 1 : 0);
      if (w.tool) {
        assert.equal(tools[0].name, w.tool.name);
        assert.deepEqual(JSON.parse(tools[0].input), w.tool.input);
        // the result went back in the next call, and the model quoted it
        assert.equal(tools[0].result_llm_call_id, main[i + 1].llm_call_id);
        const token = /token-[0-9a-f]{16}/.exec(main[i + 1].assistant_text ?? "")![0];
        assert.ok(tools[0].result_text?.includes(token), "the tool's output is the result");
      }
    });
    assert.equal(main[0].user_input?.includes("Create marker.txt with a fresh random token"), true);
    assert.equal(main[1].user_input, null, "the second turn carries only a tool result");
    assert.equal(main[1].tool_result_count, 1);
    assert.ok(main.every((c) => (c.system_prompt?.length ?? 0) > 1000), "system prompt kept");
    assert.deepEqual(t.problems, []);
  });

  Deno.test(`${agent} fixture: exchanges hold exactly what the server got and sent`, async () => {
    const t = await build(fixtureTls(agent));
    const s = served(agent);
    const llm = t.exchanges.filter((x) => x.llm_call_id !== null);
    const posts = s.transcript.exchanges.filter((e) => e.method === "POST");
    assert.equal(llm.length, posts.length);
    llm.forEach((x, i) => {
      assert.equal(x.path, s.requests[i].path);
      assert.equal(Number(x.request_bytes), s.requests[i].bodySize, "whole request body");
      assert.equal(dec.decode(x.response_body!), posts[i].body, "whole response body");
      assert.equal(x.status, posts[i].status);
      assert.equal(x.streaming, posts[i].streaming);
      assert.equal(x.protocol, agent === "codex" ? "h2" : "http/1.1");
      assert.ok(x.request_complete && !x.gap && x.lost_bytes === 0n);
    });
    const kinds = t.calls.map((c) => c.kind);
    assert.deepEqual(kinds, s.requests.map((r) => r.kind), "main/side as the server saw them");
    assert.deepEqual(
      new Set(t.calls.map((c) => c.agent)),
      new Set([{ claude: "claude-code", gemini: "gemini-cli", codex: "codex" }[agent]]),
    );
  });

  Deno.test(`${agent} fixture: golden tables`, () => assertGoldenTables(agent));

  Deno.test(
    `${agent} fixture: same tables when every byte is its own TLS call`,
    () => assertSameBytewise(agent),
  );

  Deno.test(`${agent} fixture: each connection parses the same whatever its split`, async () => {
    const tls = fixtureTls(agent);
    const conns = rebuildConnections(tls);
    const reference = await connectionsDigest(tls);
    const check = async (
      label: string,
      cut: (b: Uint8Array, d: "write" | "read") => Uint8Array[],
    ) => assert.equal(await connectionsDigest(rechunk(tls, cut)), reference, `split ${label}`);
    await check("whole", (b) => [b]);
    // every split point of the response streams (each connection cut at the same offset;
    // request streams are cut there too while they are that long)
    const longest = Math.max(...conns.map((c) => streamBytes(tls, c, "read").length));
    for (let i = 1; i < longest; i++) await check(`@${i}`, splitAt(i));
    // and seeded random splits of everything
    for (let r = 0; r < 5; r++) await check(`random#${r}`, randomSplit(r));
  });
}

Deno.test("fixtures hold no secrets and came from capture's redaction", () => {
  for (const agent of AGENT_FIXTURES) {
    const rec = openRecording(fixtureDir(agent));
    assert.deepEqual(rec.problems, []);
    const text = (rec.tables.get("tls")!.values.data as Uint8Array[]).map((d) => dec.decode(d))
      .join("");
    for (const secret of ["sk-sightline", "test-gemini-key", "Bearer sk"]) {
      assert.ok(!text.includes(secret), `${agent}: ${secret}`);
    }
    assert.equal(rec.manifest?.options.keep_secrets, false);
  }
});
