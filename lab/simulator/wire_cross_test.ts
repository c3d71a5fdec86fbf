/**
 * The scripted model server and the analysis speak the same wire: every response the server
 * renders (each provider, streamed and whole, with thinking, text and tool calls, a hosted web
 * search, a refusal) is read back by the analysis' reader (analysis/llm/read_call.ts, routed
 * by the one route table) to the model, text, thinking, tool calls, server tools, refusal and
 * token usage of the reply it rendered, with nothing it does not understand — also when the
 * stream's bytes arrive one by one or cut at any point; and a Codex-like
 * session of Responses over WebSocket (warm-up, a turn, its continuation), as the messages
 * went over the wire, is read back by analysis/llm/responses_websocket.ts call by call.
 */
import assert from "node:assert/strict";
import { readCall } from "../../analysis/llm/read_call.ts";
import { readResponsesWebSocket } from "../../analysis/llm/responses_websocket.ts";
import type { WsMessage } from "../../analysis/websocket_stream.ts";
import { routeLlmCall } from "../../analysis/llm/route.ts";
import type { Usage } from "../../analysis/llm/shapes.ts";
import { ndjsonEvents, sseEvents, type TimedSseEvent } from "../../analysis/message_body.ts";
import { createSseParser } from "../../protocols/sse.ts";
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
  /** a web search the provider's hosted tool ran (not Chat Completions nor Ollama) */
  search?: boolean;
  /** the model declines */
  refusal?: boolean;
  /** the answer runs out of output tokens */
  maxTokens?: boolean;
}

const SEARCH = {
  query: "sightline ebpf release notes",
  results: [
    { url: "https://docs.example.test/notes", title: "Release notes" },
    { url: "https://docs.example.test/faq", title: "FAQ — questions fréquentes" },
  ],
};

const PATCH = "*** Begin Patch\n*** Add File: hello.txt\n+hello\n*** End Patch\n";

function reply(p: Shape): Reply {
  return {
    model: "model-under-test",
    ...(p.thinking ? { thinking: "First I look at the files, then I decide. ".repeat(3) } : {}),
    ...(p.search ? { search: SEARCH } : {}),
    ...(p.text ? { text: "Here is what I found: two files, one of them écrit en français." } : {}),
    ...(p.refusal ? { refusal: "I can't help with that request." } : {}),
    ...(p.maxTokens ? { maxTokens: true } : {}),
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
      // the server writes every cache entry for five minutes
      return { ...base, cacheWrite: u.cacheWriteTokens, cacheWrite1h: 0 };
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
  { refusal: true },
  { thinking: true, text: true, maxTokens: true },
];

/** How each API says an answer ran out of output tokens. */
const MAX_TOKENS: Partial<Record<Provider, string>> = {
  "anthropic": "max_tokens",
  "openai-responses": "incomplete:max_output_tokens",
  "openai-chat": "length",
  "gemini": "MAX_TOKENS",
};

/** Providers whose APIs run a hosted web search within an answer, and its name there. */
const SEARCH_NAME: Partial<Record<Provider, string>> = {
  "anthropic": "web_search",
  "openai-responses": "web_search",
  "gemini": "google_search",
};

/** What each API keeps of a refusal: its text, or (Gemini) the finish reason that says so. */
const wantRefusal = (provider: Provider, r: Reply) =>
  r.refusal === undefined ? undefined : provider === "gemini" ? "SAFETY" : r.refusal;

/** The SSE events of `bytes` fed to the parser in the pieces `cut` makes. */
function eventsOf(bytes: Uint8Array, cut: (b: Uint8Array) => Uint8Array[]): TimedSseEvent[] {
  const events: TimedSseEvent[] = [];
  const p = createSseParser({
    onEvent: (e) =>
      events.push({ type: e.type, data: e.data, offset: e.lastByte, incomplete: e.incomplete }),
  });
  for (const piece of cut(bytes)) p.feed(piece);
  p.end();
  return events;
}

for (const [provider, mode, target, stream] of MODES) {
  Deno.test(`wire: ${provider} replies ${mode} read back the same`, () => {
    const serverRoute = routeRequest("POST", target);
    const route = routeLlmCall("POST", target);
    assert.ok(route, `the analysis routes ${target}`);
    assert.equal(serverRoute.provider, route.provider);
    assert.equal(serverRoute.action, "generate");
    const shapes = [
      ...SHAPES,
      ...(provider === "openai-responses" ? [{ text: true, patch: true }] : []),
      ...(SEARCH_NAME[provider] ? [{ thinking: true, search: true, text: true }] : []),
    ];
    // /api/generate has no tools
    const generate = target === "/api/generate";
    for (const shape of shapes) {
      const r = reply(shape);
      if (generate && !shape.text) continue;
      // Ollama's API has no refusal, and the server plays no output limit there
      if (provider === "ollama" && (shape.refusal || shape.maxTokens)) continue;
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
      // Anthropic says a refusal as the answer's text, stopped with stop reason `refusal`
      assert.equal(res.text, r.text ?? (provider === "anthropic" ? r.refusal : "") ?? "", what);
      // Chat Completions has no thinking on the wire the server speaks
      if (provider !== "openai-chat") assert.equal(res.thinking, r.thinking ?? "", what);
      assert.deepEqual(
        res.toolCalls.map((c) => ({ name: c.name, kind: c.kind, input: JSON.parse(c.input) })),
        r.toolCalls.map((c) => ({ name: c.name, kind: c.kind, input: c.args ?? c.input })),
        what,
      );
      assert.deepEqual(res.usage, wantUsage(provider, r), what);
      assert.equal(res.refusal, wantRefusal(provider, r), what);
      if (r.maxTokens) assert.equal(res.stopReason, MAX_TOKENS[provider], what);
      assert.deepEqual(
        res.serverTools.map((t) => ({
          name: t.name,
          input: JSON.parse(t.input),
          error: !!t.isError,
        })),
        r.search
          ? [{
            name: SEARCH_NAME[provider],
            input: provider === "gemini"
              ? { queries: [SEARCH.query] }
              : provider === "anthropic"
              ? { query: SEARCH.query }
              : { type: "search", query: SEARCH.query },
            error: false,
          }]
          : [],
        what,
      );
      if (r.search && provider !== "openai-responses") {
        // Anthropic's result block and Gemini's grounding name the pages found
        for (const page of SEARCH.results) {
          assert.ok(res.serverTools[0].result?.includes(page.url), `${what}: ${page.url}`);
        }
      }
      assert.deepEqual(res.unknown, [], what);
      if (!shape.refusal || provider !== "gemini") {
        assert.notEqual(read.firstOutputOffset, null, what);
      }
      if (!("events" in answer) || type.startsWith("application/x-ndjson")) continue;
      // the same answer whatever pieces its bytes came in: one by one, or cut anywhere in two
      const want = JSON.stringify(res);
      const again = (cut: (b: Uint8Array) => Uint8Array[]): string =>
        JSON.stringify(readCall(route, undefined, { events: eventsOf(bytes, cut) }).response);
      assert.equal(again((b) => Array.from(b, (_, i) => b.subarray(i, i + 1))), want, what);
      for (let i = 1; i < bytes.length; i++) {
        assert.equal(again((b) => [b.subarray(0, i), b.subarray(i)]), want, `${what} cut at ${i}`);
      }
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
