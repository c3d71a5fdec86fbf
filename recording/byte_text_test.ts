/**
 * Kernel bytes as text: valid UTF-8 unchanged, each invalid byte escaped as `�xNN`, a real
 * U+FFFD doubled, and `textBytes` giving back the exact bytes, for invalid bytes at every
 * position of a string, every kind of invalid sequence and random bytes.
 */
import assert from "node:assert/strict";
import { bytesText, ESCAPE, textBytes } from "./byte_text.ts";

const enc = new TextEncoder();
const utf8 = new TextDecoder("utf-8", { fatal: true });

function roundTrips(bytes: Uint8Array): string {
  const t = bytesText(bytes);
  assert.deepEqual(textBytes(t), bytes, `${JSON.stringify(t)} gives back its bytes`);
  // what is stored must be valid UTF-8 (Arrow and DuckDB strings): no lone surrogates
  assert.equal(utf8.decode(enc.encode(t)), t);
  return t;
}

Deno.test("bytesText: valid UTF-8 is kept as it is", () => {
  for (
    const s of [
      "",
      "/home/user/données/fichier.txt",
      "emoji 😀 and CJK 漢字",
      "tr -d ' \\n' \\builtin \\x80 literally",
      "\u{10FFFF}\u{FFFF}\u{E000}",
      "x".repeat(5000),
    ]
  ) {
    assert.equal(roundTrips(enc.encode(s)), s);
  }
});

Deno.test("bytesText: each invalid byte at every position is its own �xNN", () => {
  const word = enc.encode("abcdé");
  for (const bad of [0x80, 0xbf, 0xc0, 0xc1, 0xf5, 0xff, 0xe2]) {
    for (let at = 0; at <= word.length; at++) {
      // (not inside é's two bytes: that splits it, tested below)
      if (at === word.length - 1) continue;
      const bytes = new Uint8Array([...word.subarray(0, at), bad, ...word.subarray(at)]);
      const want = `${"abcdé".slice(0, at)}${ESCAPE}x${bad.toString(16)}${"abcdé".slice(at)}`;
      assert.equal(roundTrips(bytes), want, `0x${bad.toString(16)} at ${at}`);
    }
  }
  // a sequence cut short, split, overlong, a surrogate, above U+10FFFF: byte by byte
  const cases: [number[], string][] = [
    [[0x61, 0xc3], `a${ESCAPE}xc3`],
    [[0xc3, 0x61, 0xa9], `${ESCAPE}xc3a${ESCAPE}xa9`],
    [[0xe2, 0x82], `${ESCAPE}xe2${ESCAPE}x82`],
    [[0xe2, 0x82, 0xac], "€"],
    [[0xc0, 0xaf], `${ESCAPE}xc0${ESCAPE}xaf`],
    [[0xe0, 0x80, 0xaf], `${ESCAPE}xe0${ESCAPE}x80${ESCAPE}xaf`],
    [[0xed, 0xa0, 0x80], `${ESCAPE}xed${ESCAPE}xa0${ESCAPE}x80`],
    [[0xf4, 0x90, 0x80, 0x80], `${ESCAPE}xf4${ESCAPE}x90${ESCAPE}x80${ESCAPE}x80`],
    [[0xf0, 0x9f, 0x98], `${ESCAPE}xf0${ESCAPE}x9f${ESCAPE}x98`],
    [[0xf0, 0x9f, 0x98, 0x80], "😀"],
  ];
  for (const [bytes, want] of cases) assert.equal(roundTrips(new Uint8Array(bytes)), want);
});

Deno.test("bytesText: a real U+FFFD is doubled, so it is never taken for an escape", () => {
  const real = enc.encode(`${ESCAPE}x80`);
  const escaped = new Uint8Array([0x80]);
  assert.equal(roundTrips(real), `${ESCAPE}${ESCAPE}x80`);
  assert.equal(roundTrips(escaped), `${ESCAPE}x80`);
  assert.equal(roundTrips(new Uint8Array([...real, 0xff])), `${ESCAPE}${ESCAPE}x80${ESCAPE}xff`);
  // what an older recording holds (the decoder replaced bad bytes): U+FFFD, given back as such
  assert.deepEqual(textBytes(`a${ESCAPE}b`), enc.encode(`a${ESCAPE}b`));
});

Deno.test("bytesText: random bytes give distinct texts that give back the bytes", () => {
  let seed = 7;
  const rand = () => (seed = (seed * 1103515245 + 12345) >>> 0) >>> 16;
  const seen = new Map<string, string>();
  for (let n = 0; n < 3000; n++) {
    const len = n % 40;
    const bytes = Uint8Array.from(
      { length: len },
      () => rand() % 2 ? 0x80 | (rand() & 0x7f) : rand() & 0xff,
    );
    const t = roundTrips(bytes);
    const key = bytes.join(",");
    const before = seen.get(t);
    assert.ok(before === undefined || before === key, "two byte strings, one text");
    seen.set(t, key);
  }
});
