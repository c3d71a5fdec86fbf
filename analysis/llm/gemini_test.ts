/**
 * The Gemini reader on the shapes the API documents, from the bytes of an answer: Vertex AI's
 * function calls whose arguments are streamed in parts (`willContinue`, `partialArgs` at JSON
 * Paths, as @google/genai's `FunctionCall` and `PartialArg` types say), put together into one
 * call; whole calls as before; a stream cut in the middle of a call.
 */
import assert from "node:assert/strict";
import { sseEvents } from "../message_body.ts";
import { jsonPathKeys } from "./gemini.ts";
import { readCall } from "./read_call.ts";
import { routeLlmCall } from "./route.ts";

const VERTEX = "/v1/projects/p/locations/us-central1/publishers/google/models/" +
  "gemini-3-pro:streamGenerateContent?alt=sse";

/** The answer as Vertex AI sends it with `alt=sse`: one `data:` event per chunk, CRLF lines. */
function sse(chunks: unknown[]): Uint8Array {
  return new TextEncoder().encode(chunks.map((c) => `data: ${JSON.stringify(c)}\r\n\r\n`).join(""));
}

/** One GenerateContentResponse chunk holding `parts`; `finish` ends the answer. */
function chunk(parts: unknown[], finish?: string) {
  return {
    candidates: [{
      content: { role: "model", parts },
      ...(finish ? { finishReason: finish } : {}),
    }],
    ...(finish ? { usageMetadata: { promptTokenCount: 50, candidatesTokenCount: 12 } } : {}),
    modelVersion: "gemini-3-pro",
  };
}

/** Reads the bytes as the analysis does: SSE events, then the call reader of the route. */
function read(bytes: Uint8Array) {
  const route = routeLlmCall("POST", VERTEX);
  assert.ok(route, "a Vertex AI Gemini route");
  const { events, error } = sseEvents({ bytes, offsetOf: (p) => p, encoding: null });
  assert.equal(error, undefined);
  const r = readCall(route, undefined, { events });
  assert.deepEqual(r.problems, []);
  return r.response;
}

const calls = (r: ReturnType<typeof read>) =>
  r.toolCalls.map((c) => [c.id ?? null, c.name, JSON.parse(c.input)]);

Deno.test("gemini: a call whose arguments Vertex AI streams in parts is put together", () => {
  const r = read(sse([
    chunk([{ text: "Writing the file." }]),
    chunk([{ functionCall: { name: "run_shell_command", willContinue: true } }]),
    chunk([{
      functionCall: {
        partialArgs: [{ jsonPath: "$.command", stringValue: "echo hel", willContinue: true }],
        willContinue: true,
      },
    }]),
    chunk([{
      functionCall: {
        partialArgs: [
          { jsonPath: "$.command", stringValue: "lo > a.txt" },
          { jsonPath: "$.description", stringValue: "writes a.txt" },
        ],
        willContinue: true,
      },
    }]),
    chunk([{
      functionCall: {
        partialArgs: [
          { jsonPath: "$.options.timeout", numberValue: 30 },
          { jsonPath: "$.options.background", boolValue: false },
          { jsonPath: "$.env[0]", stringValue: "A=1" },
          { jsonPath: "$['work dir']", nullValue: "NULL_VALUE" },
        ],
      },
    }], "STOP"),
  ]));
  assert.deepEqual(calls(r), [[null, "run_shell_command", {
    command: "echo hello > a.txt",
    description: "writes a.txt",
    options: { timeout: 30, background: false },
    env: ["A=1"],
    "work dir": null,
  }]]);
  assert.equal(r.text, "Writing the file.");
  assert.equal(r.complete, true);
  assert.deepEqual(r.usage, { input: 50, output: 12 });
});

Deno.test("gemini: whole calls stay as they were, also after a streamed one", () => {
  const r = read(sse([
    chunk([
      { functionCall: { name: "read_file", args: { path: "a.txt" } } },
      { functionCall: { id: "c2", name: "list_directory", args: { dir: "." } } },
    ]),
    chunk([{ functionCall: { name: "glob", willContinue: true } }]),
    chunk([{ functionCall: { partialArgs: [{ jsonPath: "$.pattern", stringValue: "*.ts" }] } }]),
    chunk([{ functionCall: { name: "read_file", args: { path: "b.txt" } } }], "STOP"),
  ]));
  assert.deepEqual(calls(r), [
    [null, "read_file", { path: "a.txt" }],
    ["c2", "list_directory", { dir: "." }],
    [null, "glob", { pattern: "*.ts" }],
    [null, "read_file", { path: "b.txt" }],
  ]);
});

Deno.test("gemini: a stream cut in the middle of a call keeps what of it arrived", () => {
  const r = read(sse([
    chunk([{
      functionCall: {
        name: "write_file",
        partialArgs: [
          { jsonPath: "$.file_path", stringValue: "/w/out.txt" },
          { jsonPath: "$.content", stringValue: "first half", willContinue: true },
        ],
        willContinue: true,
      },
    }]),
  ]));
  assert.deepEqual(calls(r), [[null, "write_file", {
    file_path: "/w/out.txt",
    content: "first half",
  }]]);
  assert.equal(r.complete, false);
});

Deno.test("gemini: a path the reader cannot follow keeps its value under the path; no prototype", () => {
  const r = read(sse([
    chunk([{
      functionCall: {
        name: "f",
        partialArgs: [
          { jsonPath: "$.items[*].id", stringValue: "x" },
          { jsonPath: "$.__proto__.polluted", boolValue: true },
        ],
      },
    }], "STOP"),
  ]));
  // `__proto__` is an argument's name like any other
  assert.equal(r.toolCalls[0].input, '{"$.items[*].id":"x","__proto__":{"polluted":true}}');
  assert.equal(({} as Record<string, unknown>).polluted, undefined);
});

Deno.test("gemini: an index far past an array's end or a name on an array is kept under its path", () => {
  const r = read(sse([
    chunk([{
      functionCall: {
        name: "f",
        partialArgs: [
          { jsonPath: "$.a[0]", stringValue: "x" },
          { jsonPath: "$.a.length", stringValue: "y" },
          { jsonPath: "$.a[4294967294]", stringValue: "z" },
          { jsonPath: "$.b[10000000]", numberValue: 1 },
          { jsonPath: "$.a[0].c", stringValue: "into a string" },
        ],
      },
    }], "STOP"),
  ]));
  assert.deepEqual(JSON.parse(r.toolCalls[0].input), {
    a: ["x"],
    "$.a.length": "y",
    "$.a[4294967294]": "z",
    "$.b[10000000]": 1,
    "$.a[0].c": "into a string",
  });
});

Deno.test("gemini: a call named differently while one said willContinue ends that one", () => {
  const r = read(sse([
    chunk([{
      functionCall: {
        name: "a",
        partialArgs: [{ jsonPath: "$.x", stringValue: "1" }],
        willContinue: true,
      },
    }]),
    chunk([{ functionCall: { name: "b", args: { y: 2 } } }], "STOP"),
  ]));
  assert.deepEqual(calls(r), [[null, "a", { x: "1" }], [null, "b", { y: 2 }]]);
});

Deno.test("jsonPathKeys: names and indexes in dot and bracket notation; null for the rest", () => {
  assert.deepEqual(jsonPathKeys("$.foo.bar[0].data"), ["foo", "bar", 0, "data"]);
  assert.deepEqual(jsonPathKeys(`$['a b']["c\\"d"]['e\\'f'][12]`), ["a b", 'c"d', "e'f", 12]);
  assert.deepEqual(jsonPathKeys("$['\\u00e9']"), ["é"]);
  for (const p of ["$", "foo", "$..a", "$.a[*]", "$.a[1:2]", "$[?@.a]", "$.a.", "$.1a"]) {
    assert.equal(jsonPathKeys(p), null, p);
  }
});
