import assert from "node:assert/strict";
import { createHash, createHmac } from "node:crypto";
import { createSessionDigest, sha256 } from "./session_digest.ts";
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
  // the digest's first block is HMAC(key, 0 || value), 6 bits a character
  const key = Uint8Array.from({ length: 32 }, (_, i) => i);
  const value = utf8("9b2c7f7e-1f0a-4c1e-9d1b-2f6c3e2a8d4f");
  const want = createHmac("sha256", key).update(new Uint8Array([0, 0, 0, 0])).update(value)
    .digest();
  const abc = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_";
  const got = new TextDecoder().decode(createSessionDigest(key).digest(value));
  assert.equal(got.slice(0, 32), Array.from(want, (b) => abc[b & 63]).join(""));
  assert.equal(got.length, value.length);
});

Deno.test("session digest: same id same digest, different ids differ, same length, visible ASCII, keyed", () => {
  const d = createSessionDigest();
  const a = utf8("session-a-0001");
  const b = utf8("session-a-0002"); // differs in its last character only
  const text = (x: Uint8Array) => new TextDecoder().decode(x);
  assert.equal(text(d.digest(a)), text(d.digest(a.slice())));
  assert.notEqual(text(d.digest(a)), text(d.digest(b)));
  for (const len of [1, 31, 32, 33, 100]) {
    const out = d.digest(a, len);
    assert.equal(out.length, len);
    assert.ok(out.every((c) => c >= 0x21 && c <= 0x7e), "MCP: visible ASCII only");
  }
  assert.ok(!text(d.digest(a)).includes("session"));
  // another recording's key: another digest
  assert.notEqual(text(createSessionDigest().digest(a)), text(d.digest(a)));
});
