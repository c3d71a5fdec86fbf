import assert from "node:assert/strict";
import { ollamaJson, ollamaRequest, ollamaStream } from "./ollama.ts";
import { routeLlmRequest, unroutedLlmRequest } from "./route.ts";

Deno.test("ollama: a chat request with history, tools and a tool result named by tool_name", () => {
  const body = {
    model: "qwen3:8b",
    messages: [
      { role: "system", content: "You are terse." },
      { role: "user", content: "list the files" },
      {
        role: "assistant",
        content: "",
        tool_calls: [{ function: { name: "run_shell", arguments: { command: "ls" } } }],
      },
      { role: "tool", content: "a.txt\nb.txt\n", tool_name: "run_shell" },
    ],
    tools: [{
      type: "function",
      function: { name: "run_shell", parameters: { type: "object" } },
    }],
    format: { type: "object" },
  };
  const r = ollamaRequest(body, "api/chat", { conversation: true });
  assert.equal(r.model, "qwen3:8b");
  assert.equal(r.stream, true, "the server streams unless told stream: false");
  assert.equal(r.systemPrompt, "You are terse.");
  assert.equal(r.userInput, undefined, "no user text after the last model turn");
  assert.deepEqual(r.toolResults, [{ name: "run_shell", text: "a.txt\nb.txt\n" }]);
  assert.equal(r.messages, 4);
  assert.equal(r.toolsOffered, 1);
  assert.equal(r.wantsJson, true);
  assert.deepEqual(r.jsonSchema, { type: "object" });
  assert.deepEqual(r.conversation?.tools.map((t) => t.name), ["run_shell"]);
  assert.equal(r.conversation?.modelTurns, 1);
  assert.equal(ollamaRequest({ ...body, stream: false }, "api/chat").stream, false);
});

Deno.test("ollama: a generate request: prompt, system", () => {
  const r = ollamaRequest(
    { model: "llama3.2", prompt: "Why is the sky blue?", system: "Be brief.", stream: false },
    "api/generate",
  );
  assert.equal(r.userInput, "Why is the sky blue?");
  assert.equal(r.systemPrompt, "Be brief.");
  assert.equal(r.stream, false);
  assert.equal(r.messages, 1);
});

Deno.test("ollama: a streamed chat answer (docs/api.md shapes) with a tool call", () => {
  const s = ollamaStream();
  const lines = [
    { model: "llama3.2", message: { role: "assistant", content: "The" }, done: false },
    { model: "llama3.2", message: { role: "assistant", content: " sky" }, done: false },
    {
      model: "llama3.2",
      message: {
        role: "assistant",
        content: "",
        tool_calls: [{
          function: { name: "get_current_weather", arguments: { location: "Paris, FR" } },
        }],
      },
      done: false,
    },
    {
      model: "llama3.2",
      done: true,
      done_reason: "stop",
      total_duration: 4883583458,
      prompt_eval_count: 26,
      eval_count: 282,
    },
  ];
  assert.deepEqual(lines.map((l) => s.push("ndjson", l)), [true, true, true, false]);
  const r = s.result();
  assert.equal(r.text, "The sky");
  assert.equal(r.model, "llama3.2");
  assert.equal(r.complete, true);
  assert.equal(r.stopReason, "stop");
  assert.deepEqual(r.usage, { input: 26, output: 282 });
  assert.deepEqual(r.toolCalls, [{
    name: "get_current_weather",
    kind: "function",
    input: '{"location":"Paris, FR"}',
  }]);
});

Deno.test("ollama: a stream cut before done is incomplete; an error line is the call's error", () => {
  const s = ollamaStream();
  s.push("ndjson", { model: "m", response: "Hel", done: false });
  const cut = s.result();
  assert.equal(cut.text, "Hel");
  assert.equal(cut.complete, false);
  assert.equal(cut.usage, null);
  const e = ollamaStream();
  e.push("ndjson", { error: "model 'nope' not found" });
  assert.equal(e.result().error, "model 'nope' not found");
  assert.equal(ollamaJson({ error: "model is required" }).error, "model is required");
});

Deno.test("ollama: a whole answer; a model load (done_reason load) has no usage", () => {
  const r = ollamaJson({
    model: "llama3.2",
    message: { role: "assistant", content: "Hello!", thinking: "greet" },
    done: true,
    done_reason: "stop",
    prompt_eval_count: 26,
    eval_count: 298,
  });
  assert.deepEqual([r.text, r.thinking, r.usage, r.complete], [
    "Hello!",
    "greet",
    { input: 26, output: 298 },
    true,
  ]);
  const load = ollamaJson({
    model: "llama3.2",
    message: { role: "assistant", content: "" },
    done_reason: "load",
    done: true,
  });
  assert.equal(load.usage, null);
  assert.equal(load.stopReason, "load");
});

Deno.test("ollama: /api/chat without a model is not read as Ollama, loudly", () => {
  const r = routeLlmRequest("POST", "/api/chat", { room: "general", text: "hi" });
  assert.equal(r.route, null);
  assert.match(r.unread!, /no "model", not Ollama's native API/);
  assert.equal(
    routeLlmRequest("POST", "/api/chat", { model: "m", messages: [] }).route?.provider,
    "ollama",
  );
});

Deno.test("ollama: /api/embed (model and input) is not an LLM call on an unknown route", () => {
  assert.equal(
    unroutedLlmRequest("POST", "/api/embed", { model: "all-minilm", input: ["hi"] }),
    null,
  );
  assert.match(
    unroutedLlmRequest("POST", "/api/other", { model: "m", input: ["hi"] }) ?? "",
    /looks like an LLM API request/,
  );
});
