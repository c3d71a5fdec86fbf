/**
 * GateStops on real processes (no root needed): a stop noted and not answered is resumed, one
 * answered is left alone, one that ended is not signalled, a pid whose process started after
 * the stop is never noted, one the loader's watchdog dealt with is left to it; and what
 * resumeAll did, in words.
 */
import assert from "node:assert/strict";
import { describeResumed, describeUnknown, GateStops, stoppedUnknown } from "./gate_stops.ts";
import { stat } from "../kit/procs.ts";

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

/** CLOCK_BOOTTIME now, in ns (what the kernel side stamps records with). */
function bootNs(): bigint {
  const up = Deno.readTextFileSync("/proc/uptime").split(" ")[0];
  return BigInt(Math.round(Number(up) * 1000)) * 1_000_000n;
}

/** A `sleep 30`, stopped with SIGSTOP as the gate would (waits until it shows as stopped). */
async function stoppedSleeper(): Promise<Deno.ChildProcess> {
  const child = new Deno.Command("sleep", { args: ["30"] }).spawn();
  Deno.kill(child.pid, "SIGSTOP");
  for (let i = 0; i < 100 && stat(child.pid)?.state !== "T"; i++) await sleep(10);
  assert.equal(stat(child.pid)?.state, "T");
  return child;
}

async function end(child: Deno.ChildProcess) {
  try {
    child.kill("SIGKILL");
  } catch { /* ended */ }
  await child.status;
}

Deno.test("gate stops: an unanswered stop is resumed, an answered one left alone", async () => {
  const [a, b] = [await stoppedSleeper(), await stoppedSleeper()];
  try {
    const stops = new GateStops();
    stops.stopped(a.pid, bootNs());
    stops.stopped(b.pid, bootNs());
    stops.answered(b.pid);
    assert.deepEqual(stops.pending(), [a.pid]);
    const r = stops.resumeAll();
    assert.deepEqual(r, { resumed: [a.pid], gone: [], failed: [] });
    for (let i = 0; i < 100 && stat(a.pid)?.state === "T"; i++) await sleep(10);
    assert.notEqual(stat(a.pid)?.state, "T", "resumed");
    assert.equal(stat(b.pid)?.state, "T", "the answered one is not signalled here");
    assert.deepEqual(stops.pending(), [], "forgotten once resumed");
  } finally {
    await end(a);
    await end(b);
  }
});

Deno.test("gate stops: those the loader's watchdog dealt with are left to it", async () => {
  const [a, b] = [await stoppedSleeper(), await stoppedSleeper()];
  try {
    const stops = new GateStops();
    stops.stopped(a.pid, bootNs());
    stops.stopped(b.pid, bootNs());
    const r = stops.resumeAll([a.pid]);
    assert.deepEqual(r, { resumed: [b.pid], gone: [], failed: [] });
    assert.equal(stat(a.pid)?.state, "T", "not signalled here");
    assert.deepEqual(stops.pending(), [], "forgotten all the same");
  } finally {
    await end(a);
    await end(b);
  }
});

Deno.test("gate stops: two stops of one process need two answers", async () => {
  const a = await stoppedSleeper();
  try {
    const stops = new GateStops();
    stops.stopped(a.pid, bootNs());
    stops.stopped(a.pid, bootNs());
    stops.answered(a.pid);
    assert.deepEqual(stops.pending(), [a.pid]);
    stops.answered(a.pid);
    assert.deepEqual(stops.pending(), []);
  } finally {
    await end(a);
  }
});

Deno.test("gate stops: a process that ended, or started after the stop, is not signalled", async () => {
  const a = await stoppedSleeper();
  const stops = new GateStops();
  stops.stopped(a.pid, bootNs());
  await end(a);
  const b = await stoppedSleeper();
  try {
    // a stop stamped before b started: its pid then was another process's
    stops.stopped(b.pid, bootNs() - 60_000_000_000n);
    assert.deepEqual(stops.pending(), [a.pid]);
    assert.deepEqual(stops.resumeAll(), { resumed: [], gone: [a.pid], failed: [] });
    assert.equal(stat(b.pid)?.state, "T");
  } finally {
    await end(b);
  }
});

Deno.test("gate stops: what was done, in words", () => {
  assert.equal(describeResumed({ resumed: [], gone: [], failed: [] }), undefined);
  assert.equal(
    describeResumed({ resumed: [10, 11], gone: [], failed: [] }),
    "2 processes its gate had stopped were resumed (pids 10, 11)",
  );
  assert.equal(
    describeResumed({ resumed: [10], gone: [12], failed: [{ pid: 13, error: "denied" }] }),
    "1 process its gate had stopped was resumed (pid 10); 1 process its gate had stopped " +
      "could not be resumed and stays stopped (pid 13: denied; resume with kill -CONT); " +
      "1 process its gate had stopped had ended meanwhile (pid 12)",
  );
});

Deno.test("gate stops: traced processes still stopped are found, not signalled", async () => {
  const [a, b] = [await stoppedSleeper(), await stoppedSleeper()];
  try {
    // this process is traced: its stopped children are found, but for those excepted
    assert.deepEqual(stoppedUnknown([Deno.pid], [b.pid]), [a.pid]);
    assert.deepEqual(stoppedUnknown([999_999_999], []), [], "nothing traced: none");
    assert.equal(stat(a.pid)?.state, "T");
    assert.equal(
      describeUnknown([a.pid]),
      `1 traced process is stopped with no stop of the gate's known to the capture (pid ${a.pid}` +
        "): stopped by the gate as the loader died, or by something else; not resumed " +
        "(kill -CONT if they should run)",
    );
    assert.equal(describeUnknown([]), undefined);
  } finally {
    await end(a);
    await end(b);
  }
});
