/**
 * The scripted model server and the analysis speak the same wire: every response the server
 * renders (each provider, streamed and whole, with thinking, text and tool calls) is read back
 * by the analysis' reader (analysis/llm/read_call.ts, routed by the one route table) to the
 * model, text, thinking, tool calls and token usage of the reply it rendered; and a Codex-like
 * session of Responses over WebSocket (warm-up, a turn, its continuation), as the messages
 * went over the wire, is read back by analysis/llm/responses_websocket.ts call by call.
 */
import assert from "node:assert/strict";
import { readCall } from "../../analysis/llm/read_call.ts";
import { readResponsesWebSocket } from "../../analysis/llm/responses_websocket.ts";
import type { WsMessage } from "../../analysis/websocket_stream.ts";
import { routeLlmCall } from "../../analysis/llm/route.ts";
import type { Usage } from "../../analysis/llm/shapes.ts";
import { ndjsonEvents, sseEvents } from "../../analysis/message_body.ts";
import { renderReply } from "./provider_api.ts";
import type { Reply } from "./reply.ts";
import type { Provider, RequestView } from "./request_view.ts";
import { routeRequest } from "./routes.ts";
import { parseScenario } from "./scenario.ts";
import { startModelServer } from "./server.ts";
import { wsTestClient } from "./testing/ws_client.ts";

const enc = new TextEncoder();

interface Shape {
  thinking?: boolean;
  text?: boolean;
  tools?: number;
  /** a custom tool call with free-form input, as Codex's apply_patch (Responses only) */
  patch?: boolean;
}

const PATCH = "*** Begin Patch\n*** Add File: hello.txt\n+hello\n*** End Patch\n";

function reply(p: Shape): Reply {
  return {
    model: "model-under-test",
    ...(p.thinking ? { thinking: "First I look at the files, then I decide. ".repeat(3) } : {}),
    ...(p.text ? { text: "Here is what I found: two files, one of them écrit en français." } : {}),
    toolCalls: [
      ...Array.from({ length: p.tools ?? 0 }, (_, i) => ({
        name: i === 0 ? "run_shell" : "read_file",
        kind: "function" as const,
        args: i === 0 ? { command: 'ls -la /tmp && echo "done"' } : { path: `/tmp/f${i}.txt` },
      })),
      ...(p.patch ? [{ name: "apply_patch", kind: "custom" as const, input: PATCH }] : []),
    ],
    usage: {
      inputTokens: 1234,
      outputTokens: 321,
      cacheReadTokens: 1000,
      cacheWriteTokens: 200,
      reasoningTokens: p.thinking ? 100 : 0,
    },
    seed: "cross-test",
    created: 1767225600,
  };
}

/** What each API carries of the reply's usage (Chat Completions and Gemini have no cache write). */
function wantUsage(provider: Provider, r: Reply): Usage {
  const u = r.usage;
  const base = { input: u.inputTokens, output: u.outputTokens, cacheRead: u.cacheReadTokens };
  switch (provider) {
    case "anthropic":
      return { ...base, cacheWrite: u.cacheWriteTokens };
    case "gemini":
      return u.reasoningTokens ? { ...base, reasoning: u.reasoningTokens } : base;
    case "ollama":
      // prompt_eval_count and eval_count only
      return { input: u.inputTokens, output: u.outputTokens };
    default:
      return { ...base, reasoning: u.reasoningTokens };
  }
}

/** Each provider's requests: whole, streamed, and (Gemini) streamed as one JSON array. */
const MODES: [Provider, string, string, boolean][] = [
  ["anthropic", "whole", "/v1/messages?beta=true", false],
  ["anthropic", "streamed", "/v1/messages?beta=true", true],
  ["openai-responses", "whole", "/v1/responses", false],
  ["openai-responses", "streamed", "/v1/responses", true],
  ["openai-chat", "whole", "/v1/chat/completions", false],
  ["openai-chat", "streamed", "/v1/chat/completions", true],
  ["gemini", "whole", "/v1beta/models/model-under-test:generateContent", false],
  ["gemini", "streamed", "/v1beta/models/model-under-test:streamGenerateContent?alt=sse", true],
  [
    "gemini",
    "streamed as a JSON array",
    "/v1beta/models/model-under-test:streamGenerateContent",
    true,
  ],
  ["ollama", "whole (/api/chat)", "/api/chat", false],
  ["ollama", "streamed as NDJSON (/api/chat)", "/api/chat", true],
  ["ollama", "whole (/api/generate)", "/api/generate", false],
  ["ollama", "streamed as NDJSON (/api/generate)", "/api/generate", true],
];

const SHAPES: Shape[] = [
  { text: true },
  { thinking: true, text: true },
  { tools: 1 },
  { thinking: true, text: true, tools: 2 },
];

for (const [provider, mode, target, stream] of MODES) {
  Deno.test(`wire: ${provider} replies ${mode} read back the same`, () => {
    const serverRoute = routeRequest("POST", target);
    const route = routeLlmCall("POST", target);
    assert.ok(route, `the analysis routes ${target}`);
    assert.equal(serverRoute.provider, route.provider);
    assert.equal(serverRoute.action, "generate");
    const shapes = provider === "openai-responses"
      ? [...SHAPES, { text: true, patch: true }]
      : SHAPES;
    // /api/generate has no tools
    const generate = target === "/api/generate";
    for (const shape of shapes) {
      const r = reply(shape);
      if (generate && !shape.text) continue;
      if (generate) r.toolCalls = [];
      const view: RequestView = {
        provider,
        model: r.model,
        stream,
        includeUsage: true,
        tools: [],
        assistantTurns: 0,
        toolResults: [],
        wantsJson: false,
        texts: [],
      };
      const rendered = renderReply(serverRoute, view, r);
      const bytes = enc.encode(rendered.chunks.join(""));
      const body = { bytes, offsetOf: (n: number) => n, encoding: null };
      const type = rendered.headers["content-type"];
      const answer = type.startsWith("text/event-stream")
        ? { events: sseEvents(body).events }
        : type.startsWith("application/x-ndjson")
        ? { events: ndjsonEvents(body).events }
        : { body: bytes, endOffset: bytes.length };
      assert.equal("events" in answer, rendered.streaming, "streams are event streams");
      const read = readCall(route, undefined, answer);
      const what = `${provider} ${JSON.stringify(shape)}`;
      assert.deepEqual(read.problems, [], what);
      const res = read.response;
      if (provider !== "gemini") assert.equal(res.model, r.model, what); // Gemini: in the path
      assert.equal(res.complete, true, what);
      assert.equal(res.text, r.text ?? "", what);
      // Chat Completions has no thinking on the wire the server speaks
      if (provider !== "openai-chat") assert.equal(res.thinking, r.thinking ?? "", what);
      assert.deepEqual(
        res.toolCalls.map((c) => ({ name: c.name, kind: c.kind, input: JSON.parse(c.input) })),
        r.toolCalls.map((c) => ({ name: c.name, kind: c.kind, input: c.args ?? c.input })),
        what,
      );
      assert.deepEqual(res.usage, wantUsage(provider, r), what);
      assert.notEqual(read.firstOutputOffset, null, what);
    }
  });
}

Deno.test("wire: Responses over WebSocket read back call by call", async () => {
  const usage = { input: 321, output: 12, cacheRead: 300, reasoning: 5 };
  const scenario = parseScenario({
    name: "ws-cross",
    model: "model-under-test",
    usage,
    turns: [
      { thinking: "plan", text: "Running it.", tool: { run: "echo $((6*7))" } },
      { text: "It printed {{tool_output}}." },
    ],
  }, "ws-cross");
  const server = await startModelServer({ scenario, websocket: { compression: "off" } });
  const sent: WsMessage[] = [];
  try {
    const ws = await wsTestClient(server);
    const send = async (v: Record<string, unknown>) => {
      const data = enc.encode(JSON.stringify(v));
      sent.push({
        direction: "client",
        index: sent.length,
        opcode: 1,
        kind: "text",
        data,
        wireSize: data.length,
        compressed: false,
        frames: 1,
        firstByte: 0,
        lastByte: 0,
        incomplete: false,
      });
      await ws.send(v);
    };
    const tools = [{ type: "function", name: "exec_command", parameters: { type: "object" } }];
    const base = { model: "model-under-test", tools, stream: true };
    const user = { type: "message", role: "user", content: [{ type: "input_text", text: "go" }] };
    await send({ type: "response.create", ...base, input: [], generate: false });
    await ws.untilDone();
    await send({ type: "response.create", ...base, input: [user] });
    const first = (await ws.untilDone()).at(-1)!.response as Record<string, unknown>;
    const call = (first.output as Record<string, unknown>[]).find((i) =>
      i.type === "function_call"
    )!;
    await send({
      type: "response.create",
      ...base,
      previous_response_id: first.id,
      input: [{ type: "function_call_output", call_id: call.call_id, output: "42\n" }],
    });
    await ws.untilDone();
    const received = ws.received.map((m): WsMessage => ({ ...m, direction: "server" }));
    await ws.close();

    const read = readResponsesWebSocket([...sent, ...received]);
    assert.deepEqual(read.problems, []);
    assert.equal(read.calls.length, 3);
    const [warm, turn, next] = read.calls;
    assert.equal(warm.request.warmup, true);
    assert.equal(warm.response.complete, true);
    assert.equal(warm.firstOutput, null, "a warm-up carries no output");
    assert.equal(turn.request.userInput, "go");
    assert.equal(turn.response.model, "model-under-test");
    assert.equal(turn.response.thinking, "plan");
    assert.equal(turn.response.text, "Running it.");
    assert.deepEqual(
      turn.response.toolCalls.map((c) => ({ name: c.name, input: JSON.parse(c.input) })),
      [{ name: "exec_command", input: { cmd: "echo $((6*7))" } }],
    );
    assert.deepEqual(turn.response.usage, usage);
    assert.notEqual(turn.firstOutput, null);
    assert.equal(next.request.previousResponseId, first.id);
    assert.deepEqual(next.request.toolResults, [{ callId: call.call_id, text: "42\n" }]);
    assert.equal(next.response.text, "It printed 42.");
    assert.equal(next.response.complete, true);
    assert.deepEqual(read.calls.map((c) => [c.status, c.problems]), [
      [null, []],
      [null, []],
      [null, []],
    ]);
  } finally {
    await server.close();
  }
});
