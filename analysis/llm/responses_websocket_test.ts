/**
 * Responses over WebSocket (responses_websocket.ts): an event of a call's answer that could not
 * be decoded (damaged, read from the middle of a compressed stream) leaves the call not
 * complete, with a problem naming the event, though its terminal event was read.
 */
import assert from "node:assert/strict";
import type { WsMessage } from "../websocket_stream.ts";
import { readResponsesWebSocket } from "./responses_websocket.ts";

const enc = new TextEncoder();

/** A text message; `null`: one not decoded (damaged), its bytes dropped. */
function message(direction: "client" | "server", index: number, v: object | null): WsMessage {
  const data = v ? enc.encode(JSON.stringify(v)) : new Uint8Array(0);
  return {
    direction,
    index,
    opcode: 1,
    kind: "text",
    data,
    wireSize: data.length,
    compressed: true,
    frames: 1,
    firstByte: 0,
    lastByte: 0,
    incomplete: false,
    ...(v ? {} : { error: "damaged: it refers back to bytes sent before the recording began" }),
  };
}

const delta = (text: string) => ({ type: "response.output_text.delta", delta: text });
const item = { type: "message", role: "assistant", content: [] };

function read(damaged: boolean) {
  const server = [
    { type: "response.created", response: { id: "r1" } },
    { type: "response.output_item.added", output_index: 0, item },
    delta("Hello, "),
    damaged ? null : delta("the user, "),
    delta("all is well"),
    damaged ? null : { type: "response.output_item.done", output_index: 0, item },
    { type: "response.completed", response: { id: "r1", status: "completed" } },
  ];
  return readResponsesWebSocket([
    message("client", 0, { type: "response.create", model: "m", input: "hi" }),
    ...server.map((v, i) => message("server", i, v)),
  ]);
}

Deno.test("a damaged event inside a call's answer: not complete, the event named", () => {
  const whole = read(false);
  assert.equal(whole.calls.length, 1);
  assert.equal(whole.calls[0].response.complete, true);
  assert.deepEqual(whole.calls[0].problems, []);

  const { calls, problems } = read(true);
  assert.equal(calls.length, 1);
  assert.deepEqual(problems, []);
  const [call] = calls;
  assert.equal(call.response.complete, false, "events of its answer were not decoded");
  assert.deepEqual(
    call.problems.map((p) => p.replace(/ \(damaged:[^)]*\)/, "")),
    [
      "server message 3 could not be decoded: the answer may lack part of its content",
      "server message 5 could not be decoded: the answer may lack part of its content",
    ],
  );
});
