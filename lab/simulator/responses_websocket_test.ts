/**
 * The model server's OpenAI Responses over WebSocket, with a client that behaves as Codex's
 * (upgrade offering permessage-deflate, masked compressed frames, a warm-up, then turns that
 * continue the previous response with only their new input): each compression mode, the
 * frames on the wire, errors as the real endpoint sends them, and HTTP on the same port.
 */

import assert from "node:assert/strict";
import { parseScenario } from "./scenario.ts";
import { type ModelServer, startModelServer } from "./server.ts";
import { testClient } from "./testing/client.ts";
import { wsTestClient } from "./testing/ws_client.ts";
import type { WebSocketCompression } from "./websocket_session.ts";

const SCENARIO = parseScenario({
  name: "ws-test",
  usage: { input: 321, output: 12, cacheRead: 300, cacheWrite: 0 },
  turns: [
    { thinking: "plan", text: "Running it.", tool: { run: "echo $((6*7))" } },
    { text: "It printed {{tool_output}}." },
  ],
}, "ws-test");

const TOOLS = [{
  type: "function",
  name: "exec_command",
  parameters: { type: "object", properties: { cmd: { type: "string" } }, required: ["cmd"] },
}];

const developer = {
  type: "message",
  role: "developer",
  content: [{ type: "input_text", text: "You are a test agent. ".repeat(200) }],
};
const user = { type: "message", role: "user", content: [{ type: "input_text", text: "go" }] };

type Obj = Record<string, unknown>;

/** Codex's session: warm-up, first turn, the tool's result; returns the events of each. */
async function session(server: ModelServer) {
  const ws = await wsTestClient(server);
  const base = { model: "gpt-test", tools: TOOLS, store: false, stream: true };
  await ws.send({ type: "response.create", ...base, input: [developer], generate: false });
  const warm = await ws.untilDone();
  const warmId = (warm[0].response as Obj).id;
  await ws.send({
    type: "response.create",
    ...base,
    previous_response_id: warmId,
    input: [user],
  });
  const first = await ws.untilDone();
  const done = first.at(-1)!.response as Obj;
  const call = (done.output as Obj[]).find((i) => i.type === "function_call")!;
  await ws.send({ type: "response.processed", response_id: done.id });
  await ws.send({
    type: "response.create",
    ...base,
    previous_response_id: done.id,
    input: [{ type: "function_call_output", call_id: call.call_id, output: "42\n" }],
  });
  const second = await ws.untilDone();
  return { ws, warm, first, second, call };
}

for (const compression of ["context-takeover", "no-context-takeover", "off"] as const) {
  Deno.test(`responses over WebSocket (${compression}): warm-up, a tool call, its result`, async () => {
    const server = await startModelServer({
      scenario: SCENARIO,
      websocket: { compression, fragmentSize: 200 },
    });
    try {
      const { ws, warm, first, second, call } = await session(server);
      const ext = ws.head.lookup["sec-websocket-extensions"]?.[0] ?? null;
      const want: Record<WebSocketCompression, string | null> = {
        "context-takeover": "permessage-deflate",
        "no-context-takeover":
          "permessage-deflate; server_no_context_takeover; client_no_context_takeover",
        "off": null,
      };
      assert.equal(ext, want[compression]);
      // the warm-up: an empty completed response
      assert.deepEqual(warm.map((e) => e.type), [
        "response.created",
        "response.in_progress",
        "response.completed",
      ]);
      const warmDone = warm.at(-1)!.response as Obj;
      assert.deepEqual(warmDone.output, []);
      assert.equal((warmDone.usage as Obj).input_tokens, 0);
      // the first turn: the script's first turn, as Responses events
      const done = first.at(-1)!.response as Obj;
      assert.equal(first.at(-1)!.type, "response.completed");
      assert.deepEqual(JSON.parse(String(call.arguments)), { cmd: "echo $((6*7))" });
      assert.equal((done.usage as Obj).input_tokens, 321);
      assert.ok(first.some((e) => e.type === "response.output_text.delta"));
      // the second: the result came back through the chain
      const text = second.filter((e) => e.type === "response.output_text.delta").map((e) => e.delta)
        .join("");
      assert.equal(text, "It printed 42.");
      // on the wire: frames unmasked, compressed when agreed, long messages fragmented
      const msgs = ws.received.filter((m) => m.kind === "text");
      assert.ok(msgs.every((m) => m.compressed === (compression !== "off")));
      assert.ok(msgs.some((m) => m.frames > 1), "messages longer than 200 bytes are fragmented");
      // the server logged a warm-up and two turns, all over the WebSocket
      assert.deepEqual(
        server.requests.map((r) => [r.kind, r.side ?? null, r.httpVersion, r.status]),
        [
          ["side", "warmup", "websocket", 200],
          ["main", null, "websocket", 200],
          ["main", null, "websocket", 200],
        ],
      );
      assert.equal(server.requests[0].headers.authorization, "[redacted]");
      assert.deepEqual(server.errors, []);
      // the turn requests the script saw carried the whole conversation
      const full = server.requests[2].body as Obj;
      assert.deepEqual(
        (full.input as Obj[]).map((i) => i.type + (i.role ? `:${i.role}` : "")),
        [
          "message:developer",
          "message:user",
          ...(done.output as Obj[]).map((i) => i.type + (i.role ? `:${i.role}` : "")),
          "function_call_output",
        ],
      );
      await ws.close();
    } finally {
      await server.close();
    }
  });
}

Deno.test("responses over WebSocket: errors as the real endpoint sends them", async () => {
  const server = await startModelServer({ scenario: SCENARIO });
  try {
    const ws = await wsTestClient(server);
    await ws.send({
      type: "response.create",
      model: "m",
      previous_response_id: "resp_nope",
      input: [],
    });
    const e = await ws.next();
    assert.equal(e.type, "error");
    assert.equal(e.status, 400);
    assert.equal((e.error as Obj).code, "previous_response_not_found");
    await ws.send({ type: "response.nonsense" });
    assert.match(String(((await ws.next()).error as Obj).message), /unknown event type/);
    // the connection still serves a turn after errors
    await ws.send({ type: "response.create", model: "m", tools: TOOLS, input: [user] });
    assert.equal((await ws.untilDone()).at(-1)!.type, "response.completed");
    await ws.close();
    // a path that is no Responses endpoint, and a client offering no compression
    await assert.rejects(() => wsTestClient(server, "/v1/other"), /upgrade answered 404/);
    const plain = await wsTestClient(server, "/v1/responses", { offer: null });
    assert.equal(plain.agreement.deflate, null);
    await plain.close();
  } finally {
    await server.close();
  }
});

Deno.test("the WebSocket port still serves HTTP/2 and HTTP/1.1", async () => {
  for (const http1 of [false, true]) {
    const server = await startModelServer({ scenario: SCENARIO, http1 });
    const c = await testClient(server);
    try {
      const r = await c.post("/v1/responses", { model: "m", tools: TOOLS, input: [user] });
      assert.equal(r.status, 200);
      const body = await r.json();
      assert.equal(body.status, "completed");
      assert.equal(server.requests[0].httpVersion, http1 ? "1.1" : "2.0");
      const ws = await wsTestClient(server);
      await ws.send({ type: "response.create", model: "m", tools: TOOLS, input: [user] });
      assert.equal((await ws.untilDone()).at(-1)!.type, "response.completed");
      await ws.close();
    } finally {
      c.close();
      await server.close();
    }
  }
});
