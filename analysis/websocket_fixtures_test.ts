/**
 * The analysis on real Codex in its default transport, OpenAI Responses over WebSocket
 * (tests/fixtures/analysis/codex_ws*, made by make_fixtures.ts under capture): the server
 * compressing with context takeover and sending 64-byte fragments (each in its own TLS record),
 * compressing without context takeover, and refusing compression. Checked against the scenario
 * and what the server logged and sent (the oracle), against golden tables, for the same output
 * whatever the split of the bytes into TLS calls, and with the capture cut short.
 */
import assert from "node:assert/strict";
import { priceFor } from "./pricing.ts";
import { rebuildConnections } from "./byte_streams.ts";
import { sseEvents } from "./message_body.ts";
import {
  assertGoldenTables,
  assertSameBytewise,
  assertScriptedAnswer,
  build,
  connectionsDigest,
  fixtureTls,
  prices,
  randomSplit,
  rechunk,
  scenarioExpectations,
  selectRows,
  served,
  splitAt,
  streamBytes,
  WS_FIXTURES,
} from "./testing.ts";

const enc = new TextEncoder();

/** The data of each server-sent event of a transcript body, in order. */
function sentEvents(body: string): string[] {
  const bytes = enc.encode(body);
  return sseEvents({ bytes, offsetOf: (p) => p, encoding: null }).events.map((e) => e.data);
}

for (const name of WS_FIXTURES) {
  Deno.test(`${name}: every turn, its tool call and tokens as scripted, the chain resolved`, async () => {
    const t = await build(fixtureTls(name));
    const s = served(name);
    assert.deepEqual(t.problems, []);
    // a warm-up, then one call per scripted turn, all over the one WebSocket
    assert.equal(t.calls.length, s.requests.length);
    assert.ok(t.calls.every((c) => c.transport === "websocket" && c.exchange_id === 1n));
    const [warm, ...main] = t.calls;
    assert.equal(warm.kind, "side");
    assert.equal(warm.side_kind, "warmup");
    assert.deepEqual([warm.input_tokens, warm.output_tokens, warm.tool_call_count], [0n, 0n, 0]);
    assert.equal(warm.assistant_text, null);
    const want = scenarioExpectations("codex");
    assert.equal(main.length, want.length);
    main.forEach((c, i) => {
      const w = want[i];
      assert.equal(c.kind, "main");
      assert.equal(c.agent, "codex");
      assertScriptedAnswer(c, w);
      assert.equal(c.incomplete, false);
      assert.equal(c.status, null, "no error event");
      assert.equal(c.streaming, true);
      // priced when the table has its model's own price (Claude's), else no cost (gpt-5.5)
      assert.equal(
        c.cost_usd !== null && c.cost_usd > 0,
        priceFor(prices, c.model) !== null,
        `${c.model}: priced exactly when the table prices it`,
      );
      assert.ok(c.request_ns! <= c.first_byte_ns! && c.first_byte_ns! <= c.first_token_ns!);
      assert.ok(c.first_token_ns! <= c.end_ns!);
      // each turn continues the one before: the warm-up, then the first turn
      assert.equal(c.previous_llm_call_id, t.calls[i].llm_call_id);
      assert.equal(c.previous_response_id, t.calls[i].response_id);
    });
    // the history each call stands for is the conversation the server saw
    t.calls.forEach((c, i) => assert.equal(c.messages, s.requests[i].inputItems, `call ${i + 1}`));
    assert.ok(main[0].user_input?.includes("Create marker.txt with a fresh random token"));
    assert.equal(main[1].user_input, null, "the second turn carries only a tool result");
    assert.equal(main[1].tool_result_count, 1);
    assert.ok(t.calls.every((c) => (c.system_prompt?.length ?? 0) > 1000), "system prompt kept");
    assert.equal(main[0].system_prompt, main[1].system_prompt, "one system prompt");
    // the tool call, and its result in the next turn
    assert.equal(t.tools.length, 1);
    const tool = t.tools[0];
    assert.equal(tool.llm_call_id, main[0].llm_call_id);
    assert.equal(tool.name, want[0].tool!.name);
    assert.deepEqual(JSON.parse(tool.input), want[0].tool!.input);
    assert.equal(tool.result_llm_call_id, main[1].llm_call_id);
    const token = /token-[0-9a-f]{16}/.exec(main[1].assistant_text ?? "")![0];
    assert.ok(tool.result_text?.includes(token), "the tool's output is the result");
  });

  Deno.test(`${name}: ws_messages hold exactly what the server sent, decoded`, async () => {
    const t = await build(fixtureTls(name));
    const s = served(name);
    const [x] = t.exchanges;
    assert.equal(t.exchanges.length, 1);
    assert.deepEqual([x.method, x.path, x.status], ["GET", "/v1/responses", 101]);
    assert.equal(x.ws_messages, t.wsMessages.length);
    // the upgrade's Authorization was masked by capture, like any header
    const auth = (JSON.parse(x.request_headers!) as [string, string][])
      .find(([k]) => k.toLowerCase() === "authorization")!;
    assert.match(auth[1], /^\*+$/);
    // each call's server messages are the events the server rendered for it, in order
    const sent = s.transcript.exchanges;
    assert.equal(sent.length, t.calls.length);
    t.calls.forEach((c, i) => {
      const msgs = t.wsMessages.filter((m) => m.llm_call_id === c.llm_call_id);
      const server = msgs.filter((m) => m.direction === "server").map((m) => m.text);
      assert.deepEqual(server, sentEvents(sent[i].body!), `call ${i + 1}: every event`);
      const client = msgs.filter((m) => m.direction === "client");
      assert.equal(client.length, 1);
      assert.equal(client[0].event_type, "response.create");
    });
    const compressed = s.compression !== "off";
    const data = t.wsMessages.filter((m) => m.kind === "text");
    assert.ok(data.every((m) => m.compressed === compressed && m.error === null));
    assert.ok(data.every((m) => Number(m.size) === enc.encode(m.text!).length));
    if (compressed) {
      const client = data.filter((m) => m.direction === "client");
      assert.ok(client.every((m) => m.wire_bytes < m.size), "compressed on the wire");
    }
    if (name === "codex_ws") {
      assert.ok(data.some((m) => m.direction === "server" && m.frames > 1), "fragmented");
    }
  });

  Deno.test(`${name}: golden tables`, () => assertGoldenTables(name));

  Deno.test(
    `${name}: same tables when every byte is its own TLS call`,
    () => assertSameBytewise(name),
  );
}

Deno.test("codex_ws: the connection parses the same at every split point", async () => {
  const tls = fixtureTls("codex_ws");
  const [conn] = rebuildConnections(tls);
  const reference = await connectionsDigest(tls);
  const longest = Math.max(
    streamBytes(tls, conn, "read").length,
    streamBytes(tls, conn, "write").length,
  );
  for (let i = 1; i < longest; i += i < 3000 ? 1 : 7) {
    assert.equal(await connectionsDigest(rechunk(tls, splitAt(i))), reference, `split @${i}`);
  }
  for (let r = 0; r < 5; r++) {
    assert.equal(await connectionsDigest(rechunk(tls, randomSplit(r))), reference, `random#${r}`);
  }
});

for (const name of WS_FIXTURES) {
  Deno.test(`${name}: a capture cut short keeps the earlier turns and says what was lost`, async () => {
    const tls = fixtureTls(name);
    const whole = await build(tls);
    const [conn] = rebuildConnections(tls);
    // the server's messages from the middle of the last turn on are missing (TLS calls lost)
    const last = whole.calls.at(-1)!;
    const cutAt = conn.read.rows.findIndex((_, k) =>
      conn.read.ts[k] > last.first_token_ns! - 1n && k > 0
    );
    assert.ok(cutAt > 0);
    const dropped = new Set(conn.read.rows.slice(cutAt, cutAt + 2));
    const t = await build(selectRows(tls, (i) => !dropped.has(i)));
    assert.equal(t.calls.length, whole.calls.length);
    // the turns before are whole, the cut one is incomplete
    t.calls.slice(0, -1).forEach((c, i) => {
      assert.equal(c.incomplete, false);
      assert.equal(c.assistant_text, whole.calls[i].assistant_text);
      assert.equal(c.output_tokens, whole.calls[i].output_tokens);
    });
    assert.equal(t.calls.at(-1)!.incomplete, true);
    // read again after the break: with context takeover its messages refer back past it and
    // are damaged, so no usage is invented; otherwise the terminal event is whole, and its
    // usage is the server's
    assert.equal(
      t.calls.at(-1)!.output_tokens,
      name === "codex_ws" ? null : whole.calls.at(-1)!.output_tokens,
      "usage only as the server sent it",
    );
    assert.equal(t.tools.length, 1);
    assert.equal(t.tools[0].result_llm_call_id, t.calls.at(-1)!.llm_call_id);
    // the problems name the connection and say why
    const source = `pid ${conn.pid} conn 0x${conn.connId.toString(16)} gen ${conn.connGen}`;
    assert.ok(t.problems.length > 0 && t.problems.every((p) => p.source === source));
    const text = t.problems.map((p) => `${p.kind}: ${p.message}`).join("\n");
    assert.match(text, /^gap: read stream: 2 TLS call\(s\) missing/m);
    const again = new RegExp(
      "WebSocket server stream broken at offset \\d+ \\(2 TLS calls missing\\); read again from " +
        "the first whole frame after each of 1 break\\(s\\): (\\d+) message\\(s\\) recovered, " +
        "(\\d+) damaged",
    ).exec(text);
    assert.ok(again, text);
    // damaged exactly when compressed with context takeover (the window lost at the break)
    assert.equal(Number(again[2]) > 0, name === "codex_ws", text);
    assert.equal(Number(again[1]) > 0, name !== "codex_ws", text);
    if (name !== "codex_ws") {
      assert.match(
        text,
        /LLM call \d+ .*: events of the answer before server message \d+ were lost in a break/,
      );
    }
    assert.equal(t.exchanges[0].gap, true);
    // the client's last request cut: the call is still there, flagged
    const w = await build(selectRows(tls, (i) => i !== conn.write.rows.at(-1)));
    assert.equal(w.calls.length, whole.calls.length - 1);
    assert.match(
      w.problems.map((p) => p.message).join("\n"),
      /server event\(s\) answer no response.create recorded/,
      "events that answer a request not recorded are said, not dropped",
    );
  });
}
