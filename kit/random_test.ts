/** Tests for the seeded randomness kit. */
import assert from "node:assert/strict";
import { mixSeed, normalDraw, seededRandom } from "./random.ts";

Deno.test("the seeded PRNG repeats and stays in [0, 1)", () => {
  const a = seededRandom(7);
  const b = seededRandom(7);
  const c = seededRandom(8);
  let same = 0;
  for (let i = 0; i < 1000; i++) {
    const x = a();
    assert.equal(x, b());
    assert.ok(x >= 0 && x < 1);
    if (x === c()) same++;
  }
  assert.ok(same < 5, "another seed gives another stream");
});

Deno.test("normal draws have mean about 0 and spread about 1", () => {
  const rand = seededRandom(3);
  const xs = Array.from({ length: 20_000 }, () => normalDraw(rand));
  const mean = xs.reduce((s, x) => s + x, 0) / xs.length;
  const sd = Math.sqrt(xs.reduce((s, x) => s + (x - mean) ** 2, 0) / xs.length);
  assert.ok(Math.abs(mean) < 0.03, `mean ${mean}`);
  assert.ok(Math.abs(sd - 1) < 0.03, `sd ${sd}`);
  assert.ok(xs.every(Number.isFinite));
});

Deno.test("mixed seeds differ by every input and by order", () => {
  assert.equal(mixSeed(1, 2), mixSeed(1, 2));
  assert.notEqual(mixSeed(1, 2), mixSeed(2, 1));
  assert.notEqual(mixSeed(1, 2), mixSeed(1, 3));
  assert.notEqual(mixSeed(1), mixSeed(1, 0));
});
