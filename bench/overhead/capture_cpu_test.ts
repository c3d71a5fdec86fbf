/** Tests for the capture's CPU split from the two proc_timer outputs. */
import assert from "node:assert/strict";
import { captureCpu, type TimerUsage } from "./capture_cpu.ts";

const u = (cpu_us: number) => ({ cpu_us });
// the agent's tree: 1,962.79 ms, the agent's timer itself 1.37 ms (a real run's figures)
const inner: TimerUsage = {
  user_us: 1_744_982,
  sys_us: 217_808,
  self: u(1_369),
  by_comm: { claude: u(1_962_790) },
};

Deno.test("the loader's own CPU is its usage minus the agent's tree and timer", () => {
  const outer: TimerUsage = {
    user_us: 2_000_000,
    sys_us: 282_798,
    by_comm: { deno: u(270_828), "sightline-loade": u(2_010_982), "sightline-watch": u(988) },
  };
  const c = captureCpu(outer, inner);
  assert.deepEqual(c.denoMs, 270.828);
  assert.deepEqual(Math.round(c.loaderMs! * 1000), 46_823);
  assert.deepEqual(c.watchdogMs, 0.988);
  assert.deepEqual(Math.round(c.totalMs * 1000), 318_639);
  assert.deepEqual(Math.round(c.otherMs * 1000), 0);
});

Deno.test("an agent's process left running is not counted as the capture's", () => {
  const outer: TimerUsage = {
    user_us: 2_000_000,
    sys_us: 282_798 + 50_000,
    by_comm: {
      deno: u(270_828),
      "sightline-loade": u(2_010_982),
      "sightline-watch": u(988),
      node: u(50_000),
    },
  };
  const c = captureCpu(outer, inner);
  assert.deepEqual(Math.round(c.totalMs * 1000), 318_639);
  assert.deepEqual(Math.round(c.otherMs * 1000), 50_000);
});

Deno.test("the loader reaped by Deno: only the sum is known", () => {
  const outer: TimerUsage = {
    user_us: 2_000_000,
    sys_us: 282_798,
    by_comm: { deno: u(2_281_810), "sightline-watch": u(988) },
  };
  const c = captureCpu(outer, inner);
  assert.deepEqual([c.denoMs, c.loaderMs], [null, null]);
  assert.deepEqual(Math.round(c.totalMs * 1000), 318_639);
});

Deno.test("the agent's timer orphaned and reaped by the outer timer", () => {
  const outer: TimerUsage = {
    user_us: 2_000_000,
    sys_us: 282_798,
    by_comm: {
      deno: u(270_828),
      "sightline-loade": u(46_823),
      "sightline-watch": u(988),
      "proc_timer-a9bb": u(1_964_159),
    },
  };
  const c = captureCpu(outer, inner);
  assert.deepEqual(Math.round(c.loaderMs! * 1000), 46_823);
  assert.deepEqual(Math.round(c.totalMs * 1000), 318_639);
  assert.deepEqual(Math.round(c.otherMs * 1000), 0);
});

Deno.test("an older timer without names: all but the agent's tree", () => {
  const c = captureCpu({ user_us: 2_000_000, sys_us: 282_798 }, inner);
  assert.deepEqual(Math.round(c.totalMs * 1000), 318_639);
  assert.deepEqual(c.denoMs, null);
});

Deno.test("the loader under another name: all but the agent's tree, never below zero", () => {
  const outer: TimerUsage = {
    user_us: 2_000_000,
    sys_us: 282_798,
    by_comm: { deno: u(270_828), "loader-renamed": u(2_010_982), "sightline-watch": u(988) },
  };
  const c = captureCpu(outer, inner);
  assert.deepEqual(Math.round(c.totalMs * 1000), 318_639);
  assert.deepEqual([c.denoMs, c.loaderMs, c.otherMs], [null, null, 0]);
});
