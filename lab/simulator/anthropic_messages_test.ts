/** Tests that the Anthropic Messages output is well-formed, streaming and not. */

import assert from "node:assert/strict";
import { renderAnthropicJson, renderAnthropicStream } from "./anthropic_messages.ts";
import { parseSse } from "./testing/sse_parser.ts";
import { sampleReply } from "./testing/replies.ts";
import { inspectRequest } from "./request_view.ts";

Deno.test("anthropic stream: event order, deltas reassemble, usage in message_delta", () => {
  const reply = sampleReply();
  const r = renderAnthropicStream(reply);
  assert.equal(r.streaming, true);
  assert.match(r.headers["content-type"], /^text\/event-stream/);
  const events = parseSse(r.chunks.join(""));
  assert.equal(events.length, r.chunks.length, "one SSE event per chunk");
  const data = events.map((e) => JSON.parse(e.data));
  events.forEach((e, i) => assert.equal(e.event, data[i].type, "event name = data.type"));
  const types = data.map((d) => d.type);
  assert.equal(types[0], "message_start");
  assert.deepEqual(types.slice(-2), ["message_delta", "message_stop"]);
  assert.equal(types.filter((t) => t === "ping").length, 1);
  const start = data[0].message;
  assert.match(start.id, /^msg_01[A-Za-z0-9]{22}$/);
  assert.equal(start.model, "test-model-1");
  assert.equal(start.usage.input_tokens, 1234);
  // Blocks: start, deltas, stop, in index order.
  type Block = {
    start: Record<string, unknown>;
    text: string;
    json: string;
    sig: string;
    stopped: boolean;
  };
  const blocks: Record<number, Block> = {};
  for (const d of data) {
    if (d.type === "content_block_start") {
      assert.equal(blocks[d.index], undefined);
      blocks[d.index] = {
        start: d.content_block,
        text: "",
        json: "",
        sig: "",
        stopped: false,
      };
    } else if (d.type === "content_block_delta") {
      const b = blocks[d.index];
      assert.ok(b && !b.stopped, "delta inside an open block");
      if (d.delta.type === "text_delta") b.text += d.delta.text;
      else if (d.delta.type === "thinking_delta") b.text += d.delta.thinking;
      else if (d.delta.type === "input_json_delta") {
        b.json += d.delta.partial_json;
      } else if (d.delta.type === "signature_delta") b.sig += d.delta.signature;
      else assert.fail(`unknown delta ${d.delta.type}`);
    } else if (d.type === "content_block_stop") {
      blocks[d.index].stopped = true;
    }
  }
  assert.deepEqual(Object.keys(blocks), ["0", "1", "2"]);
  assert.equal(blocks[0].start.type, "thinking");
  assert.equal(blocks[0].text, reply.thinking);
  assert.ok(blocks[0].sig.length > 20);
  assert.equal(blocks[1].start.type, "text");
  assert.equal(blocks[1].text, reply.text);
  assert.equal(blocks[2].start.type, "tool_use");
  assert.equal(blocks[2].start.name, "Bash");
  assert.match(String(blocks[2].start.id), /^toolu_01[A-Za-z0-9]{22}$/);
  assert.deepEqual(JSON.parse(blocks[2].json), reply.toolCalls[0].args);
  assert.ok(Object.values(blocks).every((b) => b.stopped));
  const delta = data.at(-2);
  assert.equal(delta.delta.stop_reason, "tool_use");
  assert.deepEqual(delta.usage, {
    input_tokens: 1234,
    cache_creation_input_tokens: 321,
    cache_read_input_tokens: 789,
    output_tokens: 56,
  });
});

Deno.test("anthropic json: one message with the same content and usage", () => {
  const reply = sampleReply({ thinking: undefined, toolCalls: [] });
  const r = renderAnthropicJson(reply);
  assert.equal(r.streaming, false);
  const body = JSON.parse(r.chunks.join(""));
  assert.equal(body.type, "message");
  assert.equal(body.role, "assistant");
  assert.deepEqual(body.content, [{ type: "text", text: reply.text }]);
  assert.equal(body.stop_reason, "end_turn");
  assert.equal(body.usage.input_tokens, 1234);
  assert.equal(body.usage.output_tokens, 56);
  assert.equal(body.usage.cache_read_input_tokens, 789);
  assert.equal(body.usage.cache_creation_input_tokens, 321);
  // Same seed, same ids: the stream and the JSON agree.
  const streamed = JSON.parse(
    parseSse(renderAnthropicStream(reply).chunks.join(""))[0].data,
  );
  assert.equal(body.id, streamed.message.id);
});

Deno.test("anthropic request view: tools, turns, trailing tool results, system message", () => {
  const view = inspectRequest({ provider: "anthropic" }, {
    model: "claude-x",
    stream: true,
    system: [{ type: "text", text: "sys" }],
    tools: [{ name: "Bash", input_schema: { type: "object" } }, {
      name: "Read",
    }],
    messages: [
      { role: "user", content: [{ type: "text", text: "do it" }] },
      {
        role: "system",
        content: [{
          type: "text",
          text: " - Primary working directory: /tmp/w\n",
        }],
      },
      {
        role: "assistant",
        content: [{ type: "tool_use", id: "toolu_1", name: "Bash", input: {} }],
      },
      {
        role: "user",
        content: [{
          type: "tool_result",
          tool_use_id: "toolu_1",
          content: [{ type: "text", text: "out" }],
        }],
      },
    ],
  });
  assert.equal(view.model, "claude-x");
  assert.equal(view.stream, true);
  assert.deepEqual(view.tools.map((t) => t.name), ["Bash", "Read"]);
  assert.equal(view.assistantTurns, 1);
  assert.deepEqual(view.toolResults, [{
    text: "out",
    callId: "toolu_1",
    isError: false,
  }]);
  assert.equal(view.lastUserText, "do it");
  assert.equal(view.wantsJson, false);
});
