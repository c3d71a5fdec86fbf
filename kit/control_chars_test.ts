/** Control, bidi and hidden characters in recorded text are shown as inert escapes; other text kept. */
import assert from "node:assert/strict";
import { showControls, showControlsIn, showLine, showLines } from "./control_chars.ts";

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

Deno.test("showControls: hidden characters of every class become visible escapes", () => {
  const cases: [string, string][] = [
    ["zero\u200bwidth", "zero\\u200bwidth"], // zero width space
    ["a\u200cb\u200dc", "a\\u200cb\\u200dc"], // ZWNJ, ZWJ between letters
    ["word\u2060joiner\ufeffbom", "word\\u2060joiner\\ufeffbom"],
    ["soft\u00adhyphen", "soft\\xadhyphen"],
    ["line\u2028para\u2029end", "line\\u2028para\\u2029end"],
    ["lone \ud800 high, \udc00 low", "lone \\ud800 high, \\udc00 low"],
    ["tag\u{e0041}\u{e0042}\u{e007f}", "tag\\u{e0041}\\u{e0042}\\u{e007f}"],
    ["anno\ufff9x\ufffay\ufffb", "anno\\ufff9x\\ufffay\\ufffb"],
    ["filler\u3164name", "filler\\u3164name"],
    ["nonchar\ufdd0\u{1fffe}", "nonchar\\ufdd0\\u{1fffe}"],
    ["bidi\u061c\u200e\u2067", "bidi\\u061c\\u200e\\u2067"],
    ["vs16 on a letter a\ufe0f", "vs16 on a letter a\\ufe0f"],
    ["dangling zwj \u{1f469}\u200d", "dangling zwj \u{1f469}\\u200d"],
  ];
  for (const [raw, shown] of cases) {
    assert.equal(showControls(raw), shown, JSON.stringify(raw));
    assert.equal(showControls(shown), shown, `idempotent: ${shown}`);
  }
});

Deno.test("showControls: emoji built with ZWJ and VS16 are kept as they are", () => {
  for (
    const s of [
      "\u{1f469}\u200d\u{1f4bb}", // woman technologist
      "\u{1f469}\u{1f3fd}\u200d\u{1f4bb}", // with a skin tone
      "\u2764\ufe0f", // red heart
      "\u{1f469}\u200d\u2764\ufe0f\u200d\u{1f468}", // couple with heart
      "1\ufe0f\u20e3", // keycap one
      "\u{1f680} \u{1f600}",
    ]
  ) {
    assert.equal(showControls(s), s, JSON.stringify(s));
  }
});

Deno.test("showLine: U+2028 and U+2029 are escaped too", () => {
  assert.equal(showLine("a\u2028b\u2029c\nd"), "a\\u2028b\\u2029c\\nd");
});

Deno.test("showLines: a carriage return cannot overwrite a line; line feeds kept", () => {
  const comm = "sightline: pid 7 (evil\r  ok) exited\nnext line";
  assert.equal(showLines(comm), "sightline: pid 7 (evil\\r  ok) exited\nnext line");
  assert.equal(showLines(showLines(comm)), showLines(comm), "idempotent");
});
