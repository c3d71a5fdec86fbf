/**
 * The scripted model server and the analysis speak the same wire: every response the server
 * renders (each provider, streamed and whole, with thinking, text and tool calls) is read back
 * by the analysis' reader (analysis/llm/read_call.ts, routed by the one route table) to the
 * model, text, thinking, tool calls and token usage of the reply it rendered.
 */
import assert from "node:assert/strict";
import { readCall } from "../../analysis/llm/read_call.ts";
import { routeLlmCall } from "../../analysis/llm/route.ts";
import type { Usage } from "../../analysis/llm/shapes.ts";
import { sseEvents } from "../../analysis/message_body.ts";
import { renderReply } from "./provider_api.ts";
import type { Reply } from "./reply.ts";
import type { Provider, RequestView } from "./request_view.ts";
import { routeRequest } from "./routes.ts";

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
    for (const shape of shapes) {
      const r = reply(shape);
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
      const answer = rendered.headers["content-type"].startsWith("text/event-stream")
        ? { events: sseEvents({ bytes, offsetOf: (n) => n, encoding: null }).events }
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
