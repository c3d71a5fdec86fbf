/** Tests for SSE encoding and delta chunking. */

import assert from "node:assert/strict";
import { chunkJson, chunkText, encodeSseEvent } from "./sse.ts";

Deno.test("encodeSseEvent: event line, data lines, LF or CRLF", () => {
  assert.equal(
    encodeSseEvent('{"a":1}', { event: "x" }),
    'event: x\ndata: {"a":1}\n\n',
  );
  assert.equal(
    encodeSseEvent("a\nb", { eol: "\r\n" }),
    "data: a\r\ndata: b\r\n\r\n",
  );
});

Deno.test("chunkText and chunkJson: non-empty pieces that join back, surrogates kept whole", () => {
  const texts = [
    "",
    "short",
    "a".repeat(100),
    "word ".repeat(40),
    "😀".repeat(30),
    "x😀".repeat(25),
  ];
  for (const t of texts) {
    for (
      const pieces of [
        chunkText(t),
        chunkText(t, 7),
        chunkJson(t),
        chunkJson(t, 3),
      ]
    ) {
      assert.equal(pieces.join(""), t);
      if (t !== "") assert.ok(pieces.every((p) => p.length > 0));
      for (const p of pieces) {
        assert.ok(p.isWellFormed(), `lone surrogate in ${JSON.stringify(p)}`);
      }
    }
  }
  assert.ok(chunkText("word ".repeat(40), 24).length > 5);
});
