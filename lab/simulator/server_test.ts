/** Tests of the model server over real HTTPS: conversations, side requests, logs, errors. */

import assert from "node:assert/strict";
import { parseScenario } from "./scenario.ts";
import { routeRequest } from "./routes.ts";
import { startModelServer } from "./server.ts";
import { parseSse } from "./testing/sse_parser.ts";
import { testClient } from "./testing/client.ts";
import { createEventStreamParser, type EventStreamMessage } from "../../protocols/mod.ts";

const TOOL_SCENARIO = parseScenario({
  name: "server-test",
  usage: { input: 111, output: 22, cacheRead: 33, cacheWrite: 44 },
  turns: [
    { thinking: "plan", tool: { run: "echo $((6*7))" } },
    { text: "It printed {{tool_output}}." },
  ],
}, "server-test");

const BASH = {
  name: "Bash",
  input_schema: { type: "object", properties: { command: { type: "string" } } },
};

Deno.test("anthropic conversation over HTTP/2: tool call, then the result echoed back", async () => {
  const server = await startModelServer({ scenario: TOOL_SCENARIO });
  const c = await testClient(server);
  try {
    const user = { role: "user", content: [{ type: "text", text: "go" }] };
    const r1 = await c.post("/v1/messages?beta=true", {
      model: "claude-test",
      stream: true,
      tools: [BASH],
      messages: [user],
    }, { "x-api-key": "sk-secret-value", authorization: "Bearer also-secret" });
    assert.equal(r1.status, 200);
    assert.match(r1.headers.get("content-type")!, /^text\/event-stream/);
    const events = parseSse(await r1.text()).map((e) => JSON.parse(e.data));
    const start = events.find((e) =>
      e.type === "content_block_start" && e.content_block.type === "tool_use"
    );
    const json = events.filter((e) => e.delta?.type === "input_json_delta").map(
      (e) => e.delta.partial_json,
    )
      .join("");
    assert.equal(JSON.parse(json).command, "echo $((6*7))");
    assert.deepEqual(events.find((e) => e.type === "message_delta").usage, {
      input_tokens: 111,
      cache_creation_input_tokens: 44,
      cache_read_input_tokens: 33,
      output_tokens: 22,
    });

    const r2 = await c.post("/v1/messages?beta=true", {
      model: "claude-test",
      stream: false,
      tools: [BASH],
      messages: [
        user,
        {
          role: "assistant",
          content: [{
            type: "tool_use",
            id: start.content_block.id,
            name: "Bash",
            input: {},
          }],
        },
        {
          role: "user",
          content: [{
            type: "tool_result",
            tool_use_id: start.content_block.id,
            content: "42\n",
          }],
        },
      ],
    });
    const body = await r2.json();
    assert.deepEqual(body.content, [{ type: "text", text: "It printed 42." }]);

    assert.equal(server.requests.length, 2);
    const [q1, q2] = server.requests;
    assert.equal(q1.httpVersion, "2.0");
    assert.equal(q1.kind, "main");
    assert.equal(q1.turn, 0);
    assert.deepEqual(q1.toolCalls, ["Bash"]);
    assert.equal(q1.headers["x-api-key"], "[redacted]");
    assert.equal(q1.headers["authorization"], "[redacted]");
    assert.ok(
      !JSON.stringify(server.requests).includes("secret"),
      "no secret anywhere in the log",
    );
    assert.equal((q1.body as { model: string }).model, "claude-test");
    assert.equal(q2.turn, 1);
    assert.equal(q2.position, 1);
    assert.deepEqual(server.errors, []);
  } finally {
    c.close();
    await server.close();
  }
});

Deno.test("ALPN: h2 offered by default, only http/1.1 with http1", async () => {
  for (const http1 of [false, true]) {
    const server = await startModelServer({ scenario: TOOL_SCENARIO, http1 });
    try {
      const conn = await Deno.connectTls({
        hostname: "127.0.0.1",
        port: server.port,
        caCerts: [await Deno.readTextFile(server.caCertPath)],
        alpnProtocols: ["h2", "http/1.1"],
      });
      const hs = await conn.handshake();
      conn.close();
      assert.equal(hs.alpnProtocol, http1 ? "http/1.1" : "h2");
      const c = await testClient(server);
      await (await c.request("HEAD", "/")).body?.cancel();
      c.close();
      assert.equal(server.requests[0].httpVersion, http1 ? "1.1" : "2.0");
      assert.equal(server.requests[0].kind, "probe");
      assert.equal(server.requests[0].status, 200);
    } finally {
      await server.close();
    }
  }
});

Deno.test("plainHttp: the same API over plain HTTP/1.1 on the wire, no TLS", async () => {
  const server = await startModelServer({ scenario: TOOL_SCENARIO, plainHttp: true });
  try {
    assert.equal(server.origin, `http://127.0.0.1:${server.port}`);
    assert.equal(server.url, `${server.origin}/v1`);
    // a raw TCP client: the request and the answer are the bytes on the wire
    const conn = await Deno.connect({ hostname: "127.0.0.1", port: server.port });
    const body = JSON.stringify({
      model: "claude-test",
      stream: true,
      tools: [BASH],
      messages: [{ role: "user", content: [{ type: "text", text: "go" }] }],
    });
    await conn.write(new TextEncoder().encode(
      `POST /v1/messages?beta=true HTTP/1.1\r\nHost: 127.0.0.1:${server.port}\r\n` +
        `Content-Type: application/json\r\nContent-Length: ${body.length}\r\n` +
        `Connection: close\r\n\r\n${body}`,
    ));
    const wire = new TextDecoder().decode(await new Response(conn.readable).arrayBuffer());
    assert.match(wire, /^HTTP\/1\.1 200 OK\r\n/);
    assert.match(wire, /\r\ncontent-type: text\/event-stream/i);
    assert.match(wire, /event: message_stop/);
    assert.equal(server.requests[0].httpVersion, "1.1");
    assert.equal(server.requests[0].kind, "main");
    assert.deepEqual(server.requests[0].toolCalls, ["Bash"]);
  } finally {
    await server.close();
  }
});

Deno.test("the certificate covers localhost and other loopback addresses", async () => {
  const server = await startModelServer({
    scenario: TOOL_SCENARIO,
    hostname: "127.0.0.5",
  });
  const c = await testClient(server);
  try {
    assert.equal(server.origin, `https://127.0.0.5:${server.port}`);
    const r = await c.request("GET", "/");
    await r.body?.cancel();
    assert.equal(r.status, 200);
  } finally {
    c.close();
    await server.close();
  }
  const local = await startModelServer({ scenario: TOOL_SCENARIO });
  const c2 = await testClient(local);
  try {
    const r = await c2.fetch(`https://localhost:${local.port}/`, {
      method: "HEAD",
    });
    await r.body?.cancel();
    assert.equal(r.status, 200);
  } finally {
    c2.close();
    await local.close();
  }
});

Deno.test("gemini: the router side request is answered from its schema and does not advance", async () => {
  const server = await startModelServer({
    scenario: parseScenario({ name: "g", turns: [{ text: "hello" }] }),
  });
  const c = await testClient(server);
  try {
    const router = await c.post("/v1beta/models/gemini-lite:generateContent", {
      contents: [{ role: "user", parts: [{ text: "hi" }] }],
      generationConfig: {
        responseMimeType: "application/json",
        responseJsonSchema: {
          type: "OBJECT",
          properties: {
            complexity_reasoning: { type: "STRING" },
            complexity_score: { type: "INTEGER" },
          },
        },
      },
    }, { "x-goog-api-key": "secret-goog" });
    const rb = await router.json();
    const answer = JSON.parse(rb.candidates[0].content.parts[0].text);
    assert.ok(answer.complexity_score >= 1);
    const main = await c.post(
      "/v1beta/models/gemini-main:streamGenerateContent?alt=sse",
      {
        contents: [{ role: "user", parts: [{ text: "hi" }] }],
        tools: [{ functionDeclarations: [{ name: "run_shell_command" }] }],
      },
    );
    const chunks = parseSse(await main.text()).map((e) => JSON.parse(e.data));
    assert.equal(
      chunks.map((d) => d.candidates[0].content.parts[0].text).join(""),
      "hello",
    );
    assert.equal(chunks.at(-1).modelVersion, "gemini-main");
    const arr = await c.post(
      "/v1beta/models/gemini-main:streamGenerateContent",
      {
        contents: [{ role: "user", parts: [{ text: "hi" }] }],
        tools: [{ functionDeclarations: [{ name: "run_shell_command" }] }],
      },
    );
    const items = await arr.json();
    assert.ok(
      Array.isArray(items) &&
        items.at(-1).candidates[0].finishReason === "STOP",
    );
    assert.deepEqual(server.requests.map((r) => [r.kind, r.side, r.turn]), [
      ["side", "router", undefined],
      ["main", undefined, 0],
      ["main", undefined, 0],
    ]);
    assert.equal(server.requests[0].headers["x-goog-api-key"], "[redacted]");
  } finally {
    c.close();
    await server.close();
  }
});

Deno.test("errors come back in the provider's shape and are listed", async () => {
  const server = await startModelServer({
    scenario: parseScenario({
      name: "e",
      turns: [{ tool: { name: "Missing" } }],
    }),
  });
  const c = await testClient(server);
  try {
    const r = await c.post("/v1/responses", {
      model: "m",
      tools: [{ type: "function", name: "exec_command" }],
      input: "x",
    });
    assert.equal(r.status, 400);
    const body = await r.json();
    assert.match(
      body.error.message,
      /tool "Missing" is not among the offered tools \(exec_command\)/,
    );
    const a = await c.post("/v1/messages", {
      model: "m",
      tools: [BASH],
      messages: [],
    });
    assert.equal((await a.json()).type, "error");
    const nf = await c.post("/v2/unknown", {});
    assert.equal(nf.status, 404);
    await nf.body?.cancel();
    const bad = await c.fetch(`${server.origin}/v1/chat/completions`, {
      method: "POST",
      body: "not json",
    });
    assert.equal(bad.status, 400);
    await bad.body?.cancel();
    assert.equal(server.errors.length, 4);
    assert.match(server.errors[0], /^request 0 POST \/v1\/responses: /);
  } finally {
    c.close();
    await server.close();
  }
});

Deno.test("a turn's fail: its first requests get the API's error with retry-after, then the turn", async () => {
  for (const sequencing of ["conversation", "per-request"]) {
    const server = await startModelServer({
      scenario: parseScenario({
        name: "overloaded",
        sequencing,
        turns: [
          { fail: { status: 529, times: 2, retryAfter: 1 }, tool: { run: "true" } },
          { fail: { status: 429, message: "slow down" }, text: "done" },
        ],
      }, "overloaded.json"),
    });
    const c = await testClient(server);
    try {
      const user = { role: "user", content: "go" };
      const ask = (messages: unknown[]) =>
        c.post("/v1/messages", { model: "m", stream: false, tools: [BASH], messages });
      const statuses: number[] = [];
      const bodies: unknown[] = [];
      for (let i = 0; i < 3; i++) {
        const r = await ask([user]);
        statuses.push(r.status);
        if (r.status !== 200) assert.equal(r.headers.get("retry-after"), "1");
        bodies.push(await r.json());
      }
      assert.deepEqual(statuses, [529, 529, 200], sequencing);
      assert.deepEqual(bodies[0], {
        type: "error",
        error: { type: "overloaded_error", message: "Overloaded" },
      });
      const call = (bodies[2] as { content: { type: string; id: string }[] }).content
        .find((b) => b.type === "tool_use")!;
      const history = [user, { role: "assistant", content: [call] }, {
        role: "user",
        content: [{ type: "tool_result", tool_use_id: call.id, content: "" }],
      }];
      const r4 = await ask(history);
      assert.equal(r4.status, 429);
      assert.equal(r4.headers.get("retry-after"), null);
      assert.deepEqual(await r4.json(), {
        type: "error",
        error: { type: "rate_limit_error", message: "slow down" },
      });
      const r5 = await ask(history);
      assert.deepEqual((await r5.json()).content, [{ type: "text", text: "done" }]);
      // scripted failures are not the server's errors; the log says what each request got
      assert.deepEqual(server.errors, []);
      assert.deepEqual(server.requests.map((r) => r.status), [529, 529, 200, 429, 200]);
      assert.deepEqual(
        server.requests.map((r) => r.scriptedFailure ?? false),
        [true, true, false, true, false],
      );
      assert.deepEqual(server.transcript.exchanges.map((e) => e.status), [529, 529, 200, 429, 200]);
    } finally {
      c.close();
      await server.close();
    }
  }
});

Deno.test("a failure in each provider's own error shape", async () => {
  const server = await startModelServer({
    scenario: parseScenario({
      name: "limits",
      sequencing: "per-request",
      turns: [
        { fail: { status: 429, times: 3 }, text: "ok" },
      ],
    }),
  });
  const c = await testClient(server);
  try {
    const chat = await c.post("/v1/chat/completions", {
      model: "m",
      messages: [{ role: "user", content: "x" }],
    });
    assert.equal(chat.status, 429);
    assert.deepEqual((await chat.json()).error, {
      message: "Rate limit exceeded: please slow down",
      type: "requests",
      param: null,
      code: "rate_limit_exceeded",
    });
    const gemini = await c.post("/v1beta/models/gemini-2.5-pro:generateContent", {
      contents: [{ role: "user", parts: [{ text: "x" }] }],
    });
    assert.equal(gemini.status, 429);
    assert.equal((await gemini.json()).error.status, "RESOURCE_EXHAUSTED");
    const ollama = await c.post("/api/chat", {
      model: "m",
      stream: false,
      messages: [{ role: "user", content: "x" }],
    });
    assert.equal(ollama.status, 429);
    assert.deepEqual(await ollama.json(), { error: "Rate limit exceeded: please slow down" });
    const ok = await c.post("/v1/chat/completions", {
      model: "m",
      messages: [{ role: "user", content: "x" }],
    });
    assert.equal((await ok.json()).choices[0].message.content, "ok");
  } finally {
    c.close();
    await server.close();
  }
});

Deno.test("the JSONL log has one line per request, without bodies unless asked", async () => {
  const dir = await Deno.makeTempDir();
  const server = await startModelServer({
    scenario: parseScenario({ name: "l", turns: [{ text: "a" }] }),
    logFile: `${dir}/log.jsonl`,
  });
  const c = await testClient(server);
  try {
    for (let i = 0; i < 2; i++) {
      await (await c.post("/v1/chat/completions", {
        model: "m",
        messages: [{ role: "user", content: "q" }],
      }, {
        authorization: "Bearer sk-live-zzz",
      })).body?.cancel();
    }
  } finally {
    c.close();
    await server.close();
  }
  const lines = (await Deno.readTextFile(`${dir}/log.jsonl`)).trim().split("\n")
    .map((l) => JSON.parse(l));
  await Deno.remove(dir, { recursive: true });
  assert.equal(lines.length, 2);
  assert.deepEqual(
    lines.map((l) => [l.seq, l.method, l.path, l.status, l.body]),
    [
      [0, "POST", "/v1/chat/completions", 200, undefined],
      [1, "POST", "/v1/chat/completions", 200, undefined],
    ],
  );
  assert.equal(lines[0].headers.authorization, "[redacted]");
  assert.ok(lines[0].bodySize > 10);
});

Deno.test("routeRequest knows each API's paths", () => {
  assert.equal(
    routeRequest("POST", "/v1/messages?beta=true").provider,
    "anthropic",
  );
  assert.equal(
    routeRequest("POST", "/v1/messages/count_tokens").action,
    "count",
  );
  assert.equal(
    routeRequest("POST", "/v1/responses").provider,
    "openai-responses",
  );
  assert.equal(
    routeRequest("POST", "/chat/completions").provider,
    "openai-chat",
  );
  assert.deepEqual(
    routeRequest(
      "POST",
      "/v1beta/models/gemini-2.5-pro:streamGenerateContent?alt=sse",
    ),
    {
      provider: "gemini",
      endpoint: "streamGenerateContent",
      model: "gemini-2.5-pro",
      stream: true,
      sse: true,
      action: "generate",
    },
  );
  assert.equal(routeRequest("HEAD", "/").action, "probe");
  assert.equal(routeRequest("GET", "/v1/models").action, "models");
  assert.equal(routeRequest("HEAD", "/api/hello").action, "probe");
  assert.equal(routeRequest("DELETE", "/v1/messages").action, "unknown");
});

Deno.test("Vertex and Bedrock routes: the same scripted turns, Bedrock's in event-stream frames", async () => {
  const server = await startModelServer({ scenario: TOOL_SCENARIO });
  const c = await testClient(server);
  try {
    // as @anthropic-ai/vertex-sdk sends it: model in the path, anthropic_version in the body
    const user = { role: "user", content: [{ type: "text", text: "go" }] };
    const vertex = await c.post(
      "/v1/projects/p/locations/us-east5/publishers/anthropic/models/claude-test%4020250101:streamRawPredict",
      { anthropic_version: "vertex-2023-10-16", stream: true, tools: [BASH], messages: [user] },
    );
    assert.equal(vertex.status, 200);
    assert.match(vertex.headers.get("content-type")!, /^text\/event-stream/);
    const v = parseSse(await vertex.text()).map((e) => JSON.parse(e.data));
    assert.equal(v[0].message.model, "claude-test@20250101");
    assert.equal(v.find((e) => e.content_block?.type === "tool_use").content_block.name, "Bash");

    // as @anthropic-ai/bedrock-sdk sends it: no model, no stream in the body
    const bedrock = await c.post(
      "/model/us.anthropic.claude-test-v1%3A0/invoke-with-response-stream",
      { anthropic_version: "bedrock-2023-05-31", tools: [BASH], messages: [user] },
    );
    assert.equal(bedrock.status, 200);
    assert.equal(bedrock.headers.get("content-type"), "application/vnd.amazon.eventstream");
    const messages: EventStreamMessage[] = [];
    const errors: string[] = [];
    const p = createEventStreamParser({
      onMessage: (m) => messages.push(m),
      onError: (e) => errors.push(e.message),
    });
    p.feed(new Uint8Array(await bedrock.arrayBuffer()));
    p.end();
    assert.deepEqual(errors, []);
    assert.ok(messages.every((m) => m.headers[":event-type"] === "chunk"));
    const b = messages.map((m) =>
      JSON.parse(atob(JSON.parse(new TextDecoder().decode(m.payload)).bytes))
    );
    assert.deepEqual(b.map((e) => e.type), v.map((e) => e.type));
    assert.equal(b[0].message.model, "us.anthropic.claude-test-v1:0");
    assert.equal(b.at(-1)["amazon-bedrock-invocationMetrics"].outputTokenCount, 22);
    const json = b.filter((e) => e.delta?.type === "input_json_delta").map((e) =>
      e.delta.partial_json
    ).join("");
    assert.equal(JSON.parse(json).command, "echo $((6*7))");

    // not streaming; an unknown Bedrock operation is a 404 in Bedrock's error shape
    const plain = await c.post("/model/anthropic.claude-test/invoke", {
      anthropic_version: "bedrock-2023-05-31",
      tools: [BASH],
      messages: [user],
    });
    assert.equal((await plain.json()).type, "message");
    assert.deepEqual(
      server.requests.map((r) => [r.provider, r.kind, r.status]),
      [["anthropic", "main", 200], ["anthropic", "main", 200], ["anthropic", "main", 200]],
    );
  } finally {
    c.close();
    await server.close();
  }
});

Deno.test("a Responses tool search is logged as a search (Codex loading a deferred MCP tool)", async () => {
  const scenario = parseScenario({
    name: "search-first",
    mcpServers: { fs: { server: "filesystem" } },
    turns: [{ tool: { mcp: "fs", tool: "write_file", args: { path: "a", content: "b" } } }, {
      text: "done",
    }],
  });
  const server = await startModelServer({ scenario, plainHttp: true });
  try {
    // the tool is deferred: only Codex's client-side tool search is offered, so it is searched for
    const r = await fetch(`${server.url}/responses`, {
      method: "POST",
      headers: { "content-type": "application/json" },
      body: JSON.stringify({
        model: "gpt-5.5",
        input: "write a",
        tools: [{ type: "tool_search", execution: "client", parameters: { type: "object" } }],
      }),
    });
    const out = await r.json();
    assert.equal(
      out.output.find((o: { type: string }) => o.type !== "reasoning")?.type,
      "tool_search_call",
    );
    assert.deepEqual(server.requests[0].toolCalls, ["tool_search"]);
    assert.equal(server.requests[0].toolSearches, 1);
  } finally {
    await server.close();
  }
});
