import assert from "node:assert/strict";
import { TextArena } from "./text_arena.ts";

Deno.test("text_arena: every string comes back as put, across chunks, whatever its characters", () => {
  const a = new TextArena();
  const texts = [
    "",
    "plain",
    "\uFEFFa byte order mark first is text",
    "é, 漢字 and 😀",
    "a lone surrogate \uD800 and \uDC00 alone",
    "\uD83D",
    "x".repeat(5 * 2 ** 20), // larger than a chunk
    ...Array.from({ length: 3000 }, (_, i) => `line ${i} ` + "y".repeat(i % 2000)),
  ];
  const ids = texts.map((t) => a.put(t));
  assert.deepEqual(ids, texts.map((_, i) => i));
  assert.deepEqual(a.length, texts.length);
  for (let i = 0; i < texts.length; i++) assert.deepEqual(a.get(ids[i]), texts[i]);
  // more than one chunk was filled
  assert.deepEqual(a.bytes > 8 * 2 ** 20, true);
});

Deno.test("text_arena: a number never given is refused", () => {
  const a = new TextArena();
  a.put("one");
  assert.throws(() => a.get(1), { name: "RangeError", message: "no text numbered 1" });
  assert.throws(() => a.get(-1), RangeError);
});
