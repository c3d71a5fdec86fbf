/** The chunk-boundary matcher: the seams RFC 9112 7.1 makes, and what is none, byte by byte. */
import assert from "node:assert/strict";
import { ChunkSeam, MAX_SEAM } from "./chunk_seam.ts";

/** The verdicts for `text` (its first byte a CR, taken by `begin`), one per byte after it. */
function verdicts(text: string): string[] {
  const m = new ChunkSeam();
  m.begin();
  return [...text.slice(1)].map((c) => m.feed(c.charCodeAt(0)));
}

Deno.test("chunk seam: a boundary with a size, upper or lower case, and any extension (names, token and quoted values)", () => {
  for (
    const seam of [
      "\r\n1c\r\n",
      "\r\n7F9\r\n",
      "\r\n0001\r\n",
      "\r\n5;last\r\n",
      "\r\n5 ; a;b\r\n",
      "\r\n1c;x=1\r\n",
      "\r\n5;key=x\r\n",
      '\r\n1c;a="x y;\\"q\\"\t\xe9"\r\n',
      "\r\n21;a=\x00\r\n", // control bytes in an extension: real clients take them
      "\r\n21;a=\x01\r\n",
      "\r\n21;a=\x7f\r\n",
    ]
  ) {
    const v = verdicts(seam);
    assert.equal(v.at(-1), "yes", JSON.stringify(seam));
    assert.ok(v.slice(0, -1).every((x) => x === "more"), JSON.stringify(seam));
  }
});

Deno.test("chunk seam: none where the bytes rule it out, at the byte that does", () => {
  const cases: [string, number][] = [
    ["\r\r", 0], // no LF
    ["\r\n\r", 1], // a blank line: an SSE event's end
    ["\r\nevent: x", 2], // a line: `e` is a hex digit, `v` is not
    ["\r\ncafe:", 5],
    ["\r\n0\r\n", 3], // the last chunk: the body ends
    ["\r\n5\rx", 3],
  ];
  for (const [text, at] of cases) {
    const v = verdicts(text);
    assert.equal(v[at], "no", `${JSON.stringify(text)}: ${v}`);
    assert.ok(v.slice(0, at).every((x) => x === "more"), JSON.stringify(text));
  }
  // maybe a seam, not followed (the caller fails closed): a size past 16 hex digits (leading
  // zeros a client may take), a bare LF ending the size or extension line
  for (
    const [text, at] of [
      ["\r\n" + "0".repeat(16) + "21", 17],
      ["\r\n" + "1".repeat(17), 17],
      ["\r\n21\n", 3],
      ["\r\n21;ext\n", 7],
      // a CR inside a quoted extension (none in the grammar): a line's end to some clients
      ['\r\n5;a="x\ry', 8],
      ['\r\n5;a="x\r\n', 8],
      ['\r\n5;a="x\\"\r\n', 10], // an escaped quote: still quoted
    ] as [string, number][]
  ) {
    const v = verdicts(text);
    assert.equal(v[at], "long", `${JSON.stringify(text)}: ${v}`);
    assert.ok(v.slice(0, at).every((x) => x === "more"), JSON.stringify(text));
  }
  const long = verdicts("\r\n5;" + "a".repeat(MAX_SEAM) + "\r\n");
  // past MAX_SEAM, still an extension: maybe a seam, too long to follow
  assert.equal(long[MAX_SEAM - 1], "long");
  assert.ok(long.slice(0, MAX_SEAM - 1).every((x) => x === "more"));
});
