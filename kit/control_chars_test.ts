/** Control and bidi characters in recorded text are shown as inert escapes; other text kept. */
import assert from "node:assert/strict";
import { showControls, showControlsIn, showLine } from "./control_chars.ts";

Deno.test("showControls: terminal sequences, NUL, DEL, C1 and bidi overrides become visible escapes", () => {
  assert.equal(showControls("\x1b]52;c;aGk=\x07"), "\\x1b]52;c;aGk=\\x07");
  assert.equal(showControls("evil\x1b[2J\x00\x7f\x9b"), "evil\\x1b[2J\\x00\\x7f\\x9b");
  assert.equal(showControls("bidi\u202eexe.txt\u2066"), "bidi\\u202eexe.txt\\u2066");
  const shown = showControls("\x1b]8;;http://evil.test\x1b\\link\x1b]8;;\x1b\\");
  // deno-lint-ignore no-control-regex
  assert.doesNotMatch(shown, /[\x00-\x1f\x7f-\x9f]/);
  assert.equal(showControls(shown), shown, "idempotent");
});

Deno.test("showControls: ordinary text, tabs, line breaks, emoji and U+FFFD escapes kept as they are", () => {
  for (const s of ["plain", "a\tb\nc\r\n", "ümlaut 日本 🚀", "bad\uFFFDxff", "C:\\x1b literal"]) {
    assert.equal(showControls(s), s);
  }
});

Deno.test("showControlsIn: every string of a nested value, numbers and nulls untouched", () => {
  const v = { a: ["\x1b[31m", 3, null], b: { c: "x\u202ey", d: true } };
  assert.deepEqual(showControlsIn(v), {
    a: ["\\x1b[31m", 3, null],
    b: { c: "x\\u202ey", d: true },
  });
  assert.deepEqual(v.a[0], "\x1b[31m", "the input is not changed");
});

Deno.test("showLine: a line break in recorded text cannot start a line of its own", () => {
  const fake = "read ~/.notes\n  #2 LOW nothing to see\r\x1b[2K";
  assert.equal(showLine(fake), "read ~/.notes\\n  #2 LOW nothing to see\\r\\x1b[2K");
  assert.equal(showLine(showLine(fake)), showLine(fake), "idempotent");
});
