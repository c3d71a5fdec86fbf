/** Tests that the OpenAI Responses output is well-formed, streaming and not. */

import assert from "node:assert/strict";
import { renderResponsesJson, renderResponsesStream } from "./openai_responses.ts";
import { parseSse } from "./testing/sse_parser.ts";
import { sampleReply } from "./testing/replies.ts";
import { inspectRequest } from "./request_view.ts";

Deno.test("responses stream: sequence numbers, item lifecycle, deltas reassemble, usage", () => {
  const reply = sampleReply({
    toolCalls: [
      { name: "exec_command", kind: "function", args: { cmd: "ls -la" } },
      {
        name: "apply_patch",
        kind: "custom",
        input: "*** Begin Patch\n*** End Patch\n",
      },
    ],
  });
  const r = renderResponsesStream(reply);
  const events = parseSse(r.chunks.join(""));
  assert.equal(events.length, r.chunks.length);
  const data = events.map((e) => JSON.parse(e.data));
  events.forEach((e, i) => assert.equal(e.event, data[i].type));
  data.forEach((d, i) => assert.equal(d.sequence_number, i));
  assert.deepEqual(data.slice(0, 2).map((d) => d.type), [
    "response.created",
    "response.in_progress",
  ]);
  assert.equal(data.at(-1).type, "response.completed");
  assert.equal(data[0].response.status, "in_progress");
  const responseId = data[0].response.id;
  assert.match(responseId, /^resp_[0-9a-f]{48}$/);

  const added = data.filter((d) => d.type === "response.output_item.added");
  const done = data.filter((d) => d.type === "response.output_item.done");
  assert.deepEqual(added.map((d) => d.item.type), [
    "reasoning",
    "message",
    "function_call",
    "custom_tool_call",
  ]);
  assert.deepEqual(done.map((d) => d.output_index), [0, 1, 2, 3]);
  const join = (type: string, idx: number, field = "delta") =>
    data.filter((d) => d.type === type && d.output_index === idx).map((d) => d[field]).join("");
  assert.equal(
    join("response.reasoning_summary_text.delta", 0),
    reply.thinking,
  );
  assert.equal(join("response.output_text.delta", 1), reply.text);
  assert.deepEqual(
    JSON.parse(join("response.function_call_arguments.delta", 2)),
    {
      cmd: "ls -la",
    },
  );
  assert.equal(
    join("response.custom_tool_call_input.delta", 3),
    reply.toolCalls[1].input,
  );
  assert.equal(done[2].item.name, "exec_command");
  assert.match(done[2].item.call_id, /^call_[A-Za-z0-9]{24}$/);
  assert.equal(done[3].item.call_id !== done[2].item.call_id, true);
  // Every delta belongs to an item added before and done after it.
  for (const d of data.filter((d) => d.type.endsWith(".delta"))) {
    const a = data.indexOf(added[d.output_index]);
    const z = data.indexOf(done[d.output_index]);
    assert.ok(a < data.indexOf(d) && data.indexOf(d) < z);
    assert.equal(d.item_id, added[d.output_index].item.id);
  }
  const completed = data.at(-1).response;
  assert.equal(completed.id, responseId);
  assert.equal(completed.status, "completed");
  assert.equal(completed.output.length, 4);
  assert.deepEqual(completed.usage, {
    input_tokens: 1234,
    input_tokens_details: { cached_tokens: 789 },
    output_tokens: 56,
    output_tokens_details: { reasoning_tokens: 12 },
    total_tokens: 1290,
  });
});

Deno.test("responses json: the completed response object", () => {
  const reply = sampleReply({ thinking: undefined, toolCalls: [] });
  const body = JSON.parse(renderResponsesJson(reply).chunks.join(""));
  assert.equal(body.object, "response");
  assert.equal(body.status, "completed");
  assert.equal(body.output.length, 1);
  assert.equal(body.output[0].content[0].text, reply.text);
  assert.equal(body.usage.input_tokens, 1234);
});

Deno.test("responses request view: model turns counted as runs of model items", () => {
  const view = inspectRequest({ provider: "openai-responses" }, {
    model: "gpt-x",
    stream: true,
    instructions: "sys",
    tools: [
      {
        type: "function",
        name: "exec_command",
        parameters: { type: "object" },
      },
      { type: "custom", name: "apply_patch", format: { type: "grammar" } },
      { type: "web_search" },
    ],
    input: [
      {
        type: "message",
        role: "developer",
        content: [{ type: "input_text", text: "dev" }],
      },
      {
        type: "message",
        role: "user",
        content: [{
          type: "input_text",
          text: "<environment_context><cwd>/w</cwd>",
        }],
      },
      {
        type: "message",
        role: "user",
        content: [{ type: "input_text", text: "go" }],
      },
      { type: "reasoning", summary: [] },
      {
        type: "message",
        role: "assistant",
        content: [{ type: "output_text", text: "ok" }],
      },
      {
        type: "function_call",
        call_id: "c1",
        name: "exec_command",
        arguments: "{}",
      },
      { type: "function_call_output", call_id: "c1", output: "first" },
      {
        type: "function_call",
        call_id: "c2",
        name: "exec_command",
        arguments: "{}",
      },
      { type: "function_call_output", call_id: "c2", output: "second" },
    ],
  });
  assert.equal(view.assistantTurns, 2);
  assert.deepEqual(view.tools.map((t) => [t.name, t.kind]), [
    ["exec_command", "function"],
    ["apply_patch", "custom"],
  ]);
  assert.deepEqual(view.toolResults, [{ text: "second", callId: "c2" }]);
  assert.equal(view.lastUserText, "go");
});
