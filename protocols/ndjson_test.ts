import assert from "node:assert/strict";
import { createNdjsonParser, type NdjsonOptions, type NdjsonValue } from "./ndjson.ts";
import { assertSameForAllChunkings, utf8 } from "./testing.ts";

function parseChunks(chunks: Uint8Array[], options: NdjsonOptions = {}) {
  const out: { values: NdjsonValue[]; errors: string[] } = { values: [], errors: [] };
  const p = createNdjsonParser({
    onValue: (v) => out.values.push(v),
    onError: (e) => out.errors.push(`${e.code}: ${e.message}`),
  }, options);
  for (const c of chunks) p.feed(c);
  p.end();
  return out;
}

/** An Ollama `/api/chat` stream as the server writes it (Go's json.Encoder: one object, LF). */
const OLLAMA_CHAT = [
  {
    model: "qwen3:8b",
    created_at: "2026-12-03T10:00:00Z",
    message: { role: "assistant", content: "Hé" },
    done: false,
  },
  {
    model: "qwen3:8b",
    created_at: "2026-12-03T10:00:00Z",
    message: { role: "assistant", content: "llo ✓" },
    done: false,
  },
  {
    model: "qwen3:8b",
    created_at: "2026-12-03T10:00:01Z",
    message: {
      role: "assistant",
      content: "",
      tool_calls: [{ function: { name: "run_shell", arguments: { command: "ls -la" } } }],
    },
    done: false,
  },
  {
    model: "qwen3:8b",
    created_at: "2026-12-03T10:00:01Z",
    message: { role: "assistant", content: "" },
    done: true,
    done_reason: "stop",
    total_duration: 1234567,
    prompt_eval_count: 26,
    eval_count: 7,
  },
];

Deno.test("NDJSON: an Ollama chat stream, whole, byte by byte and at every split point", () => {
  const text = OLLAMA_CHAT.map((o) => JSON.stringify(o) + "\n").join("");
  const input = utf8(text);
  const out = assertSameForAllChunkings(input, (chunks) => parseChunks(chunks));
  assert.deepEqual(out.errors, []);
  assert.deepEqual(out.values.map((v) => v.value), OLLAMA_CHAT);
  assert.ok(out.values.every((v) => !v.incomplete && v.error === undefined));
  // offsets: each line from its first byte to its LF
  let at = 0;
  for (const v of out.values) {
    const len = utf8(v.text).length;
    assert.equal(v.firstByte, at);
    assert.equal(v.lastByte, at + len);
    assert.equal(input[v.lastByte], 0x0a);
    at += len + 1;
  }
  assert.deepEqual(out.values.map((v) => v.index), [0, 1, 2, 3]);
});

Deno.test("NDJSON: CRLF, blank lines, a line that is not JSON and a last line cut short", () => {
  const input = utf8('{"a":1}\r\n\r\n  \n{"b":[2,\n{"c":"x"}\r\n{"d":');
  const out = assertSameForAllChunkings(input, (chunks) => parseChunks(chunks));
  assert.deepEqual(out.errors, []);
  assert.deepEqual(
    out.values.map((v) => [v.text, v.value, v.error !== undefined, v.incomplete]),
    [
      ['{"a":1}', { a: 1 }, false, false],
      ['{"b":[2,', undefined, true, false],
      ['{"c":"x"}', { c: "x" }, false, false],
      ['{"d":', undefined, true, true],
    ],
  );
  const last = out.values.at(-1)!;
  assert.equal(last.lastByte, input.length - 1, "an incomplete line ends at the stream's end");
  assert.equal(out.values[0].lastByte, 8, "CRLF: the LF completes the line");
});

Deno.test("NDJSON: a line over the bound is dropped, loudly, and the next one read", () => {
  const input = utf8(`{"big":"${"x".repeat(100)}"}\n{"ok":true}\n`);
  const out = assertSameForAllChunkings(
    input,
    (chunks) => parseChunks(chunks, { maxBufferSize: 32 }),
  );
  assert.equal(out.errors.length, 1);
  assert.match(out.errors[0], /^buffer-limit: NDJSON line longer than 32 bytes/);
  assert.deepEqual(out.values.map((v) => v.value), [{ ok: true }]);
  const p = createNdjsonParser({ onValue() {} }, { maxBufferSize: 32 });
  p.feed(input);
  assert.ok(p.peakBufferCapacity <= 32);
});

Deno.test("NDJSON: offsets start at startOffset; nothing after end()", () => {
  const values: NdjsonValue[] = [];
  const p = createNdjsonParser({ onValue: (v) => values.push(v) }, { startOffset: 100 });
  p.feed(utf8('{"a":1}\n'));
  p.end();
  p.feed(utf8('{"b":2}\n'));
  assert.deepEqual(values.map((v) => [v.firstByte, v.lastByte]), [[100, 107]]);
});
