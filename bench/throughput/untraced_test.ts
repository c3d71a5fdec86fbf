/** The untraced benchmark's waiting for the machine to settle: it says when it gave up. */
import assert from "node:assert/strict";
import { quiet } from "./untraced.ts";

/** A CPU clock that grows by `steps[i]` ms at the i-th wait, then by `rest`. */
function fakeCpu(steps: number[], rest: number) {
  let ms = 0, waits = 0;
  return {
    used: () => ms,
    wait: (_ms: number) => Promise.resolve(ms += steps[waits++] ?? rest),
    get waits() {
      return waits;
    },
  };
}

Deno.test("settle: true once the CPU used in a step drops under the limit", async () => {
  const c = fakeCpu([50, 30, 1], 1);
  assert.equal(await quiet(c.used, c.wait), true);
  assert.equal(c.waits, 3);
});

Deno.test("settle: false (not settled) when the CPU never goes quiet within the tries", async () => {
  const c = fakeCpu([], 5);
  assert.equal(await quiet(c.used, c.wait, 30), false);
  assert.equal(c.waits, 30);
});
