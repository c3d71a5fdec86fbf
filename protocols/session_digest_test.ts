import assert from "node:assert/strict";
import { createHash, createHmac } from "node:crypto";
import {
  createSessionDigest,
  MAX_DIGEST_VALUE,
  planCodeLengths,
  sha256,
} from "./session_digest.ts";
import { HUFFMAN_CODES, huffmanEncodedLength } from "./hpack_huffman.ts";
import { seededRandom, utf8 } from "./testing.ts";

const hexOf = (b: Uint8Array) => Array.from(b, (x) => x.toString(16).padStart(2, "0")).join("");

Deno.test("session digest: SHA-256 and HMAC-SHA-256 agree with node:crypto (FIPS 180-4 padding edges)", () => {
  const rand = seededRandom(3);
  // lengths around the 55/56/64-byte padding edges, and long ones
  for (const n of [0, 1, 3, 55, 56, 57, 63, 64, 65, 119, 120, 128, 1000]) {
    const data = Uint8Array.from({ length: n }, () => Math.floor(rand() * 256));
    assert.equal(hexOf(sha256(data)), createHash("sha256").update(data).digest("hex"), `${n}`);
  }
  assert.equal(
    hexOf(sha256(utf8("abc"))),
    "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad",
  );
  // the string's characters are drawn from HMAC(key, 0 || value), byte by byte: the first
  // is the first byte below the rejection limit, among the symbols of its planned code length
  const key = Uint8Array.from({ length: 32 }, (_, i) => i);
  const value = utf8("9b2c7f7e-1f0a-4c1e-9d1b-2f6c3e2a8d4f");
  const want = createHmac("sha256", key).update(new Uint8Array([0, 0, 0, 0])).update(value)
    .digest();
  const got = createSessionDigest(key).digest(value)!;
  const len = planCodeLengths(value.length, huffmanEncodedLength(value))![0];
  const symbols = [];
  for (let c = 0x21; c < 0x7f; c++) if (c !== 0x2a && HUFFMAN_CODES[c][1] === len) symbols.push(c);
  const first = want.find((b) => b < 256 - (256 % symbols.length))!;
  assert.equal(got[0], symbols[first % symbols.length]);
  assert.equal(got.length, value.length);
});

const text = (x: Uint8Array | null) => new TextDecoder().decode(x!);
const codeBits = (x: Uint8Array) => x.reduce((n, c) => n + HUFFMAN_CODES[c][1], 0);

Deno.test("session digest: same id same string, different ids differ, visible ASCII without '*', keyed", () => {
  const d = createSessionDigest();
  const a = utf8("session-a-0001");
  const b = utf8("session-a-0002"); // differs in its last character only
  assert.equal(text(d.digest(a)), text(d.digest(a.slice())));
  assert.notEqual(text(d.digest(a)), text(d.digest(b)));
  assert.ok(!text(d.digest(a)).includes("session"));
  // another recording's key: another string
  assert.notEqual(text(createSessionDigest().digest(a)), text(d.digest(a)));
});

Deno.test("session digest: S(v) has v's length and v's HPACK Huffman length, for ids of every shape", () => {
  const d = createSessionDigest();
  const rand = seededRandom(11);
  const visible = Array.from({ length: 94 }, (_, i) => 0x21 + i);
  const shapes: Uint8Array[] = [
    utf8("5e1f0c2a-7b3d-4e9a-8c6f-1a2b3c4d5e6f"), // a UUID: 5- and 6-bit codes
    utf8("a"),
    utf8(""),
    utf8("<<<<``{{{{"), // 15-bit codes
    utf8("********"), // the mask symbol itself
    utf8("ABCDEFGHIJKLMNOPQRSTUVWXYZ"),
  ];
  for (let n = 1; n <= 300; n++) {
    shapes.push(Uint8Array.from({ length: n }, () => visible[Math.floor(rand() * 94)]));
  }
  for (const v of shapes) {
    const s = d.digest(v);
    assert.ok(s !== null, text(v));
    assert.equal(s.length, v.length);
    assert.equal(huffmanEncodedLength(s), huffmanEncodedLength(v), text(v));
    assert.ok(s.every((c) => c >= 0x21 && c <= 0x7e && c !== 0x2a), text(s));
    assert.ok(Math.abs(codeBits(s) - codeBits(v)) <= 7);
  }
  // no plan: codes longer than 15 bits a character on average (a backslash is 19); too long
  assert.equal(d.digest(utf8("\\\\")), null);
  assert.equal(d.digest(new Uint8Array(MAX_DIGEST_VALUE + 1).fill(0x61)), null);
  assert.ok(d.digest(new Uint8Array(MAX_DIGEST_VALUE).fill(0x61)) !== null);
});

Deno.test("session digest: short ids spread over their strings (4 digits: 2000 ids, few alike)", () => {
  const d = createSessionDigest(new Uint8Array(32).fill(9));
  const seen = new Set<string>();
  for (let i = 0; i < 2000; i++) seen.add(text(d.digest(utf8(String(1000 + i)))));
  // 4 digits are 20-24 bits of code: 4 characters of 6 bits (25 symbols each), 25^4 strings:
  // about 5 pairs alike in 2000 (with only 5-bit symbols, 10^4 strings: about 200)
  assert.ok(seen.size >= 1985, `${seen.size}`);
});
