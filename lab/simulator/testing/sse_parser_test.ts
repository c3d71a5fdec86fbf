/** Tests for the tests' SSE adapter (over protocols/sse.ts): whole, byte by byte and
 * at every split point, event names, cut-short streams and over-long lines. */

import assert from "node:assert/strict";
import { createSseParser, type SseEvent } from "./sse_parser.ts";

const INPUT = 'event: a\ndata: {"x":1}\n\n: comment\ndata: line1\ndata: line2\n\n' +
  "data: crlf\r\n\r\nevent: é\ndata: ünï\n\n";
const EXPECTED: SseEvent[] = [
  { event: "a", data: '{"x":1}' },
  { event: undefined, data: "line1\nline2" },
  { event: undefined, data: "crlf" },
  { event: "é", data: "ünï" },
];

function run(pieces: Uint8Array[]): { events: SseEvent[]; errors: string[] } {
  const events: SseEvent[] = [];
  const errors: string[] = [];
  const p = createSseParser({
    onEvent: (e) => events.push(e),
    onError: (m) => errors.push(m),
  });
  for (const piece of pieces) p.feed(piece);
  p.end();
  return { events, errors };
}

const bytes = new TextEncoder().encode(INPUT);

Deno.test("sse parser: whole input", () => {
  assert.deepEqual(run([bytes]), { events: EXPECTED, errors: [] });
});

Deno.test("sse parser: byte by byte", () => {
  assert.deepEqual(run([...bytes].map((b) => Uint8Array.of(b))), {
    events: EXPECTED,
    errors: [],
  });
});

Deno.test("sse parser: every split point", () => {
  for (let i = 0; i <= bytes.length; i++) {
    assert.deepEqual(run([bytes.subarray(0, i), bytes.subarray(i)]), {
      events: EXPECTED,
      errors: [],
    }, `split at ${i}`);
  }
});

Deno.test("sse parser: an unfinished event and an over-long line are errors", () => {
  assert.deepEqual(run([new TextEncoder().encode("data: x")]).errors, [
    "stream ended inside an event",
  ]);
  const errors: string[] = [];
  const p = createSseParser({
    onEvent: () => {},
    onError: (m) => errors.push(m),
  }, {
    maxBufferSize: 8,
  });
  p.feed(new TextEncoder().encode("data: 0123456789"));
  assert.equal(errors.length, 1);
  assert.match(errors[0], /exceeds maxBufferSize \(8 bytes\)/);
});
