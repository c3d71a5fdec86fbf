/**
 * LLM calls through the clouds: Anthropic Messages on Vertex AI (`:streamRawPredict`, model in
 * the path, SSE) and on Bedrock (`/model/M/invoke-with-response-stream`, answered in AWS
 * event-stream frames whose `chunk`s carry the Anthropic events base64-encoded), OpenAI on Azure
 * (`/openai/responses?api-version=`, `/openai/deployments/D/chat/completions`), and a request
 * that looks like an LLM call on a route no reader knows: one `problems` row, not silence.
 */
import assert from "node:assert/strict";
import { buildHttpTables } from "./http_tables.ts";
import { type HandCall, handView, prices } from "./testing.ts";
import { priceFor } from "./pricing.ts";
import { encodeEventStreamMessage } from "../protocols/mod.ts";
import { concatBytes } from "../kit/bytes.ts";

const enc = new TextEncoder();
type Call = HandCall;

/** The HTTP tables of one connection's calls (process 3, connection 4, 10 ns apart). */
const tables = (calls: Call[]) =>
  buildHttpTables("r", handView(calls, { pid: 3, connId: 4n, step: 10n }), prices);

function post(
  host: string,
  path: string,
  body: unknown,
  ua = "claude-cli/2.1.330 (external, cli)",
) {
  const b = JSON.stringify(body);
  return `POST ${path} HTTP/1.1\r\nHost: ${host}\r\nUser-Agent: ${ua}\r\n` +
    `Content-Type: application/json\r\nContent-Length: ${enc.encode(b).length}\r\n\r\n${b}`;
}

/** An Anthropic request as the vertex/bedrock SDKs send it: no model, `anthropic_version`. */
function anthropicBody(version: string, stream?: boolean) {
  return {
    anthropic_version: version,
    max_tokens: 32000,
    ...(stream === undefined ? {} : { stream }),
    system: [{ type: "text", text: "You are Claude Code." }],
    messages: [{ role: "user", content: [{ type: "text", text: "make marker.txt" }] }],
    tools: [{ name: "Bash", input_schema: { type: "object" } }],
  };
}

/** The Anthropic stream events of one answer that calls Bash. */
const EVENTS: Record<string, unknown>[] = [
  {
    type: "message_start",
    message: {
      id: "msg_01A",
      type: "message",
      role: "assistant",
      model: "claude-sonnet-4-5-20250929",
      content: [],
      usage: { input_tokens: 120, cache_read_input_tokens: 7, output_tokens: 1 },
    },
  },
  { type: "content_block_start", index: 0, content_block: { type: "text", text: "" } },
  { type: "content_block_delta", index: 0, delta: { type: "text_delta", text: "Writing it." } },
  { type: "content_block_stop", index: 0 },
  {
    type: "content_block_start",
    index: 1,
    content_block: { type: "tool_use", id: "toolu_01B", name: "Bash", input: {} },
  },
  {
    type: "content_block_delta",
    index: 1,
    delta: { type: "input_json_delta", partial_json: '{"command":"touch marker.txt"}' },
  },
  { type: "content_block_stop", index: 1 },
  {
    type: "message_delta",
    delta: { stop_reason: "tool_use" },
    usage: { output_tokens: 42 },
  },
  {
    type: "message_stop",
    "amazon-bedrock-invocationMetrics": { inputTokenCount: 120, outputTokenCount: 42 },
  },
];

const sse = (events = EVENTS) =>
  events.map((e) => `event: ${e.type}\ndata: ${JSON.stringify(e)}\n\n`).join("");

/** Bedrock's stream: one event-stream `chunk` message per Anthropic event. */
function bedrockFrames(events = EVENTS): Uint8Array[] {
  return events.map((e) =>
    encodeEventStreamMessage(
      { ":event-type": "chunk", ":content-type": "application/json", ":message-type": "event" },
      enc.encode(JSON.stringify({ bytes: btoa(JSON.stringify(e)), p: "abcdefgh" })),
    )
  );
}

const chunk = (b: Uint8Array) =>
  concatBytes([enc.encode(b.length.toString(16) + "\r\n"), b, enc.encode("\r\n")]);

/** A 200 answer of `contentType` whose body comes chunked in `reads`, then the last chunk. */
const chunkedAnswer = (contentType: string, reads: Call[]): Call[] => [
  ["read", `HTTP/1.1 200 OK\r\nContent-Type: ${contentType}\r\nTransfer-Encoding: chunked\r\n\r\n`],
  ...reads,
  ["read", "0\r\n\r\n"],
];

/** A 200 answer of `contentType` with `body` (text) and its Content-Length, in one read. */
const answer = (contentType: string, body: string): Call => [
  "read",
  `HTTP/1.1 200 OK\r\nContent-Type: ${contentType}\r\nContent-Length: ${
    enc.encode(body).length
  }\r\n\r\n${body}`,
];
const json = (body: unknown) => answer("application/json", JSON.stringify(body));

const BEDROCK = "bedrock-runtime.us-east-1.amazonaws.com";

/** Bedrock's streaming call on `path` as the SDK sends it, its event stream in `reads`. */
const bedrockStream = (path: string, reads: Call[]): Call[] => [
  ["write", post(BEDROCK, path, anthropicBody("bedrock-2023-05-31"))],
  ...chunkedAnswer("application/vnd.amazon.eventstream", reads),
];

/** A request in Amazon's own message format (Converse, Nova), not Anthropic's. */
const AMAZON_BODY = {
  messages: [{ role: "user", content: [{ text: "hi" }] }],
  inferenceConfig: { maxTokens: 10 },
};

/** The bytes cut into reads of `n` bytes (frames split across TLS calls). */
function reads(bytes: Uint8Array, n: number): Call[] {
  const out: Call[] = [];
  for (let i = 0; i < bytes.length; i += n) out.push(["read", bytes.slice(i, i + n)]);
  return out;
}

function brief(t: Awaited<ReturnType<typeof buildHttpTables>>) {
  return t.calls.map((c) => ({
    provider: c.provider,
    endpoint: c.endpoint,
    agent: c.agent,
    model: c.model,
    request_model: c.request_model,
    streaming: c.streaming,
    kind: c.kind,
    text: c.assistant_text,
    input: c.input_tokens,
    output: c.output_tokens,
    cache_read: c.cache_read_tokens,
    stop: c.stop_reason,
    tools: c.tool_call_count,
    incomplete: c.incomplete,
    error: c.error,
  }));
}

const WANT = {
  provider: "anthropic",
  endpoint: "messages",
  agent: "claude-code",
  model: "claude-sonnet-4-5-20250929",
  streaming: true,
  kind: "main",
  text: "Writing it.",
  input: 120n,
  output: 42n,
  cache_read: 7n,
  stop: "tool_use",
  tools: 1,
  incomplete: false,
  error: null,
};

Deno.test("Vertex AI: streamRawPredict is an Anthropic call, model from the path", async () => {
  const path = "/v1/projects/my-proj/locations/us-east5/publishers/anthropic/models/" +
    "claude-sonnet-4-5%4020250929:streamRawPredict";
  const t = await tables([
    [
      "write",
      post("us-east5-aiplatform.googleapis.com", path, anthropicBody("vertex-2023-10-16", true)),
    ],
    ...chunkedAnswer("text/event-stream; charset=utf-8", reads(chunk(enc.encode(sse())), 37)),
  ]);
  assert.deepEqual(brief(t), [{ ...WANT, request_model: "claude-sonnet-4-5@20250929" }]);
  assert.deepEqual(t.tools.map((x) => [x.name, x.input]), [[
    "Bash",
    '{"command":"touch marker.txt"}',
  ]]);
  assert.deepEqual(t.problems, []);
});

Deno.test("Bedrock: invoke-with-response-stream's event-stream frames, split anywhere", async () => {
  const path = "/model/us.anthropic.claude-sonnet-4-5-20250929-v1%3A0/invoke-with-response-stream";
  const body = concatBytes(bedrockFrames());
  for (const n of [1, 7, 100, body.length]) {
    const t = await tables(bedrockStream(path, reads(chunk(body), n)));
    assert.deepEqual(
      brief(t),
      [{ ...WANT, request_model: "us.anthropic.claude-sonnet-4-5-20250929-v1:0" }],
      `reads of ${n}`,
    );
    assert.deepEqual(t.tools.map((x) => x.name), ["Bash"]);
    assert.deepEqual(t.problems, []);
    assert.equal(t.exchanges[0].streaming, true);
    assert.match(t.calls[0].price_source!, /^prices\.json claude-sonnet-4/);
    assert.ok(t.calls[0].cost_usd! > 0);
    // each frame's Anthropic event is an sse_events row, timed by the read that completed it
    assert.deepEqual(t.events.map((e) => e.type), EVENTS.map((e) => e.type));
    assert.deepEqual(JSON.parse(t.events[2].data), EVENTS[2]);
    const c = t.calls[0];
    assert.ok(c.first_token_ns !== null && c.first_token_ns > c.first_byte_ns!);
  }
});

Deno.test("Bedrock: invoke (not streaming) reads the JSON message", async () => {
  const message = {
    id: "msg_01C",
    type: "message",
    role: "assistant",
    model: "claude-haiku-4-5-20251001",
    content: [{ type: "text", text: "a title" }],
    stop_reason: "end_turn",
    usage: { input_tokens: 9, output_tokens: 3 },
  };
  const t = await tables([
    [
      "write",
      post(BEDROCK, "/model/anthropic.claude-haiku-4-5-20251001-v1%3A0/invoke", {
        ...anthropicBody("bedrock-2023-05-31"),
        tools: [],
      }),
    ],
    json(message),
  ]);
  assert.deepEqual(
    t.calls.map((c) => [c.model, c.request_model, c.streaming, c.assistant_text, c.output_tokens]),
    [[
      "claude-haiku-4-5-20251001",
      "anthropic.claude-haiku-4-5-20251001-v1:0",
      false,
      "a title",
      3n,
    ]],
  );
});

Deno.test("Bedrock: an exception frame is the call's error; a bad CRC a problem", async () => {
  const path = "/model/anthropic.claude-x/invoke-with-response-stream";
  const exception = encodeEventStreamMessage({
    ":exception-type": "throttlingException",
    ":content-type": "application/json",
    ":message-type": "exception",
  }, enc.encode('{"message":"Too many requests, please wait before trying again."}'));
  const frames = bedrockFrames();
  const t = await tables(
    bedrockStream(path, [["read", chunk(concatBytes([frames[0], exception]))]]),
  );
  // the error ended the stream: an error received whole (outcome error), not a cut answer
  assert.deepEqual(
    t.calls.map((c) => [c.error, c.outcome, c.error_type, c.incomplete]),
    [[
      "Too many requests, please wait before trying again.",
      "error",
      "throttlingException",
      false,
    ]],
  );
  assert.deepEqual(t.events.map((e) => e.type), ["message_start", "error"]);

  const bad = frames[2].slice();
  bad[bad.length - 10] ^= 1;
  const u = await tables(
    bedrockStream(path, [["read", chunk(concatBytes([frames[0], frames[1], bad, frames[3]]))]]),
  );
  assert.equal(u.calls.length, 1);
  assert.equal(u.calls[0].incomplete, true);
  assert.equal(u.events.length, 2);
  assert.equal(u.problems.length, 1);
  assert.equal(u.problems[0].kind, "llm");
  assert.match(
    u.problems[0].message,
    /^POST \/model\/anthropic\.claude-x\/invoke-with-response-stream: event-stream message 2: message CRC is 0x[0-9a-f]{8}, its bytes give 0x[0-9a-f]{8} \(at stream offset \d+\)$/,
  );
});

Deno.test("Azure OpenAI: /openai/responses and a chat deployment are LLM calls", async () => {
  const responses = [
    ["response.created", {
      type: "response.created",
      response: { id: "resp_1", model: "gpt-5.5" },
    }],
    ["response.output_text.delta", { type: "response.output_text.delta", delta: "hi" }],
    [
      "response.completed",
      {
        type: "response.completed",
        response: {
          id: "resp_1",
          model: "gpt-5.5",
          status: "completed",
          output: [{
            type: "message",
            role: "assistant",
            content: [{ type: "output_text", text: "hi" }],
          }],
          usage: { input_tokens: 50, output_tokens: 2 },
        },
      },
    ],
  ].map(([t, d]) => `event: ${t}\ndata: ${JSON.stringify(d)}\n\n`).join("");
  const chat = [
    { id: "c1", model: "gpt-4o-2024-08-06", choices: [{ index: 0, delta: { content: "yo" } }] },
    {
      id: "c1",
      model: "gpt-4o-2024-08-06",
      choices: [{ index: 0, delta: {}, finish_reason: "stop" }],
      usage: { prompt_tokens: 5, completion_tokens: 1 },
    },
  ].map((d) => `data: ${JSON.stringify(d)}\n\n`).join("") + "data: [DONE]\n\n";
  const t = await tables([
    [
      "write",
      post("me.openai.azure.com", "/openai/responses?api-version=2025-04-01-preview", {
        model: "gpt-5.5",
        input: "hi",
        stream: true,
        tools: [{ type: "function", name: "shell" }],
      }, "codex_exec/0.169.0"),
    ],
    answer("text/event-stream", responses),
    [
      "write",
      post(
        "me.openai.azure.com",
        "/openai/deployments/my-4o/chat/completions?api-version=2024-10-21",
        { messages: [{ role: "user", content: "hi" }], stream: true },
        "x",
      ),
    ],
    answer("text/event-stream", chat),
  ]);
  assert.deepEqual(
    t.calls.map((
      c,
    ) => [c.provider, c.model, c.request_model, c.assistant_text, c.input_tokens, c.output_tokens]),
    [
      ["openai-responses", "gpt-5.5", "gpt-5.5", "hi", 50n, 2n],
      ["openai-chat", "gpt-4o-2024-08-06", "my-4o", "yo", 5n, 1n],
    ],
  );
  assert.deepEqual(t.problems, []);
});

Deno.test("an LLM-looking request on an unknown route is one problem; MCP and uploads are not", async () => {
  const ok = json({});
  const t = await tables([
    // Bedrock's Converse API: not read (its own message shape)
    [
      "write",
      post(BEDROCK, "/model/anthropic.claude-x/converse", AMAZON_BODY),
    ],
    ok,
    // an MCP tool call over HTTP
    [
      "write",
      post("mcp.example.test", "/mcp", {
        jsonrpc: "2.0",
        id: 1,
        method: "tools/call",
        params: { name: "x", arguments: { messages: [], model: "y" } },
      }),
    ],
    ok,
    // an embedding request (input and model, not a model call)
    [
      "write",
      post("api.openai.com", "/v1/embeddings", { input: "hi", model: "text-embedding-3-small" }),
    ],
    ok,
    ["write", post("example.test", "/upload", { name: "a", model: "b" })],
    ok,
    // a gateway of its own naming
    [
      "write",
      post("llm.corp.test", "/api/llm/v2/generate", {
        model: "claude-x",
        messages: [{ role: "user", content: "hi" }],
        stream: true,
      }),
    ],
    ok,
  ]);
  assert.deepEqual(t.calls, []);
  assert.deepEqual(t.problems.map((p) => [p.kind, p.message, p.exchange_id]), [
    [
      "llm",
      "POST /model/anthropic.claude-x/converse: Bedrock's Converse API (model anthropic.claude-x): not read as an LLM call",
      1n,
    ],
    [
      "llm",
      "POST /api/llm/v2/generate: the request body looks like an LLM API request (messages, model, stream) on a route no reader knows: not read as an LLM call",
      5n,
    ],
  ]);
});

Deno.test("prices: Bedrock's and Vertex's model ids are priced as the model they name", () => {
  const match = (m: string) => priceFor(prices, m)?.match ?? null;
  for (
    const m of [
      "anthropic.claude-sonnet-4-5-20250929-v1:0",
      "us.anthropic.claude-sonnet-4-5-20250929-v1:0",
      "global.anthropic.claude-sonnet-4-5-20250929-v1:0",
      "us-gov.anthropic.claude-sonnet-4-5-20250929-v1:0",
      "claude-sonnet-4-5@20250929",
    ]
  ) assert.equal(match(m), match("claude-sonnet-4-5"), m);
  assert.notEqual(match("claude-sonnet-4-5"), null);
  // an application inference profile's ARN names no model
  assert.equal(match("arn:aws:bedrock:us-east-1:123:application-inference-profile/abc"), null);
});

Deno.test("Bedrock invoke: another vendor's model is a problem, an ARN with an Anthropic body a call", async () => {
  const arn = "arn%3Aaws%3Abedrock%3Aus-east-1%3A123%3Aapplication-inference-profile%2Fabc";
  const t = await tables([
    // Amazon Nova's own format
    [
      "write",
      post(BEDROCK, "/model/amazon.nova-pro-v1%3A0/invoke", AMAZON_BODY),
    ],
    json({ output: { message: { content: [{ text: "yo" }] } } }),
    // an application inference profile names no model: the body says Anthropic
    [
      "write",
      post(BEDROCK, `/model/${arn}/invoke`, {
        ...anthropicBody("bedrock-2023-05-31"),
      }),
    ],
    json({
      id: "msg_1",
      type: "message",
      model: "claude-haiku-4-5-20251001",
      content: [{ type: "text", text: "hello" }],
      stop_reason: "end_turn",
      usage: { input_tokens: 4, output_tokens: 1 },
    }),
  ]);
  assert.deepEqual(
    t.calls.map((c) => [c.model, c.request_model, c.assistant_text]),
    [[
      "claude-haiku-4-5-20251001",
      "arn:aws:bedrock:us-east-1:123:application-inference-profile/abc",
      "hello",
    ]],
  );
  assert.deepEqual(t.problems.map((p) => [p.kind, p.message]), [[
    "llm",
    "POST /model/amazon.nova-pro-v1%3A0/invoke: Bedrock model amazon.nova-pro-v1:0: the body is not Anthropic Messages (no anthropic_version), another vendor's format: not read as an LLM call",
  ]]);
});
