import assert from "node:assert/strict";
import { collectGarbage, collectGarbageAbove, collectorAbove } from "./gc.ts";

Deno.test("gc: garbage no longer referenced is collected at once", () => {
  let held: { i: number; s: string }[] | null = [];
  for (let i = 0; i < 1_000_000; i++) held.push({ i, s: `item ${i}` });
  const before = Deno.memoryUsage().heapUsed;
  assert.ok(held.length > 0);
  held = null;
  assert.equal(collectGarbage(), true);
  const after = Deno.memoryUsage().heapUsed;
  // a million small objects and strings are tens of MiB
  assert.ok(before - after > 20 * 2 ** 20, `heap ${before} -> ${after} bytes`);
  assert.equal(collectGarbage(), true, "again");
});

Deno.test("gc: collectGarbageAbove collects only past its threshold", () => {
  assert.equal(collectGarbageAbove(Number.MAX_SAFE_INTEGER), false);
  let held: string[] | null = [];
  for (let i = 0; i < 500_000; i++) held.push(`item ${i}`);
  const before = Deno.memoryUsage().heapUsed;
  held = null;
  assert.equal(collectGarbageAbove(0), true);
  assert.ok(Deno.memoryUsage().heapUsed < before, "nothing was collected");
});

Deno.test("gc: collectorAbove waits for the heap to grow past what the last collection left", () => {
  // a bound the live heap already passes: the plain bound collects at every call
  const collect = collectorAbove(0, 64 * 2 ** 20);
  assert.equal(collectGarbageAbove(0), true);
  assert.equal(collect(), true, "the first call: nothing collected before");
  assert.equal(collect(), false, "the heap has not grown since");
  assert.equal(collectGarbageAbove(0), true, "the plain bound collects again");
  // 80 MiB or more of strings held, then let go: past the growth, collected
  let held: string[] | null = [];
  for (let i = 0; i < 1_000_000; i++) held.push(`item ${i} `.repeat(8));
  assert.ok(held.length > 0);
  held = null;
  const before = Deno.memoryUsage().heapUsed;
  assert.equal(collect(), true, `heap ${before} bytes`);
  assert.ok(Deno.memoryUsage().heapUsed < before, "nothing was collected");
});
