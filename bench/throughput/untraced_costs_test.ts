/** The untraced per-call arithmetic: paired blocks into a cost, program counters per call. */
import assert from "node:assert/strict";
import { counterDeltas, type ProgramCounters } from "./bpf_stats.ts";
import { pairedCost, programsPerCall } from "./untraced_costs.ts";

Deno.test("the cost is the median of the pairs' differences, not of the arms' medians", () => {
  // the machine drifts slower block to block: every pair's with-block is 10 ns dearer, but the
  // arms' medians alone would mix the drift in
  const without = [100, 120, 140, 160, 180, 200, 220, 240, 260, 280];
  const withC = without.map((x, i) => x + 10 + (i === 3 ? 500 : 0)); // one outlier pair
  const c = pairedCost("getpid", "getpid(2)", without, withC, 1000);
  assert.equal(c.diff.median, 10);
  assert.deepEqual([c.diff.lo, c.diff.hi], [10, 10]);
  assert.equal(c.higher, 10);
  assert.equal(c.pairs, 10);
  assert.equal(c.withoutNs, 190);
  // the geometric mean's t interval is widened by the one outlier; the median's is not
  assert.ok(c.ratio.ratio > 1 && c.ratio.lo < 1, `${c.ratio.lo}`);
  // a cost of zero: the interval straddles it
  const noise = [3, -4, 5, -2, 1, -6, 2, -1, 4, -3, 0, 2];
  const z = pairedCost("read", "read(2)", noise.map(() => 130), noise.map((d) => 130 + d), 1);
  assert.ok(z.diff.lo < 0 && z.diff.hi > 0, `${z.diff.lo} ${z.diff.hi}`);
  assert.equal(z.higher, 6);
});

Deno.test("the pairs' differences by their order show an order effect", () => {
  // a block just after the capture's start is 20 ns dearer: the with-blocks of the pairs run
  // without-with; the pairs run with-without do not see it
  const without = [100, 100, 100, 100, 100, 100];
  const withFirst = [false, true, false, true, false, true];
  const withC = withFirst.map((f) => f ? 110 : 130);
  const c = pairedCost("getpid", "getpid(2)", without, withC, 1, withFirst);
  assert.deepEqual(c.byOrder, { withoutFirst: 30, withFirst: 10 });
  assert.equal(c.diff.median, 20);
  assert.equal(pairedCost("getpid", "getpid(2)", without, withC, 1).byOrder, undefined);
});

Deno.test("arms of different lengths are an error, not truncated", () => {
  assert.throws(
    () => pairedCost("open", "openat", [700, 710, 720], [750, 760], 1),
    /pairedCost open: 3 blocks without, 2 with: the arms must pair up/,
  );
  assert.throws(
    () => pairedCost("open", "openat", [700, 710], [750, 760], 1, [false]),
    /2 blocks without, 2 with, 1 orders/,
  );
  // a broken measurement (NaN) is an error too, not a pair quietly left out
  assert.throws(() => pairedCost("read", "read", [1, 2], [3, NaN], 1), /value 1 is NaN/);
});

const prog = (id: number, name: string, runs: number, ns: number): ProgramCounters => ({
  id,
  name,
  runs,
  ns,
});

Deno.test("counter deltas go by program id and leave out programs that did not run", () => {
  const before = [prog(1, "sl_sys_enter", 100, 5000), prog(2, "sl_sys_exit", 100, 9000)];
  const after = [
    prog(1, "sl_sys_enter", 1100, 55000),
    prog(2, "sl_sys_exit", 100, 9000),
    prog(3, "sl_exec", 1, 3000), // loaded in between: counts from zero
  ];
  assert.deepEqual(counterDeltas(before, after), [
    prog(1, "sl_sys_enter", 1000, 50000),
    prog(3, "sl_exec", 1, 3000),
  ]);
});

Deno.test("the programs' time per call subtracts idle windows as long", () => {
  // two windows of 1000 calls; the rest of the machine ran the programs 50 times per window
  const loop = [
    [prog(1, "sl_sys_enter", 1050, 1050 * 40), prog(2, "sl_sys_exit", 1050, 1050 * 20)],
    [prog(1, "sl_sys_enter", 1040, 1040 * 40), prog(2, "sl_sys_exit", 1040, 1040 * 20)],
  ];
  const idle = [
    [prog(1, "sl_sys_enter", 50, 50 * 40), prog(2, "sl_sys_exit", 50, 50 * 20)],
    [prog(1, "sl_sys_enter", 40, 40 * 40), prog(2, "sl_sys_exit", 40, 40 * 20)],
  ];
  const p = programsPerCall("getpid", "getpid(2)", loop, idle, 2000, 1);
  assert.deepEqual(p.programs.map((g) => [g.name, g.runsPerCall, g.nsPerCall, g.nsPerRun]), [
    ["sl_sys_enter", 1, 40, 40],
    ["sl_sys_exit", 1, 20, 20],
  ]);
  assert.equal(p.nsPerCall, 60);
  assert.equal(p.windows, 2);
  assert.ok(Math.abs(p.othersShare - 90 / 2090) < 1e-12);
  // a program that ran only in the loop's windows, none idle
  const q = programsPerCall("open", "openat", [[prog(5, "sl_exec", 2, 8000)]], [[]], 1000, 2);
  assert.deepEqual(q.programs.map((g) => [g.name, g.nsPerCall, g.idleRuns]), [["sl_exec", 8, 0]]);
  assert.equal(q.othersShare, 0);
});
