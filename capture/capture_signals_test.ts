/**
 * A capture's answer to signals: the count-by-count rule with and without a command, and the
 * listeners on real signals sent to this process (SIGHUP, which the test runner leaves alone)
 * until they are removed; a repeat within ECHO_MS (deno task's echo of a terminal's signal) not
 * counted.
 */
import assert from "node:assert/strict";
import { type SignalAction, signalAction, watchSignals } from "./capture_signals.ts";
import { ECHO_MS } from "../kit/signal_echo.ts";

Deno.test("signals: with a command, SIGINT passes on, then ends the command, then forces", () => {
  assert.deepEqual([1, 2, 3, 4].map((n) => signalAction("SIGINT", n, true)), [
    "interrupt",
    "end",
    "force",
    "force",
  ]);
  assert.deepEqual([1, 2].map((n) => signalAction("SIGTERM", n, true)), ["end", "force"]);
  assert.deepEqual([1, 2].map((n) => signalAction("SIGHUP", n, true)), ["end", "force"]);
});

Deno.test("signals: joined processes (--pid, --comm): the first stops the capture alone", () => {
  assert.deepEqual([1, 2, 3].map((n) => signalAction("SIGINT", n, false)), [
    "stop",
    "stop",
    "force",
  ]);
  assert.deepEqual([1, 2].map((n) => signalAction("SIGTERM", n, false)), ["stop", "force"]);
});

/** Resolves once `seen` holds `n` actions (signals arrive asynchronously). */
async function until(seen: SignalAction[], n: number): Promise<void> {
  for (let i = 0; i < 200 && seen.length < n; i++) {
    await new Promise((r) => setTimeout(r, 10));
  }
}

Deno.test("signals: real SIGHUPs count with SIGTERM; an abort stops; remove() lets go", async () => {
  // this test's own listener, which keeps the process alive once the capture's are gone
  let hups = 0;
  const guard = () => hups++;
  Deno.addSignalListener("SIGHUP", guard);
  const seen: SignalAction[] = [];
  const act = (a: SignalAction) => () => seen.push(a);
  const abort = new AbortController();
  const w = watchSignals(true, {
    interrupt: act("interrupt"),
    end: act("end"),
    stop: act("stop"),
    force: act("force"),
  }, abort.signal);
  try {
    Deno.kill(Deno.pid, "SIGHUP");
    await until(seen, 1);
    // delivered again at once, as `deno task` passes on a terminal's signal: its echo
    const before = hups;
    Deno.kill(Deno.pid, "SIGHUP");
    for (let i = 0; i < 20 && hups === before; i++) await new Promise((r) => setTimeout(r, 5));
    assert.ok(hups > before, "the repeat was delivered");
    assert.deepEqual(seen, ["end"], "and not counted");
    await new Promise((r) => setTimeout(r, ECHO_MS));
    Deno.kill(Deno.pid, "SIGHUP");
    await until(seen, 2);
    abort.abort();
    assert.deepEqual(seen, ["end", "force", "stop"]);
  } finally {
    w.remove();
  }
  try {
    const before = hups;
    Deno.kill(Deno.pid, "SIGHUP");
    for (let i = 0; i < 200 && hups === before; i++) await new Promise((r) => setTimeout(r, 10));
    assert.equal(hups, before + 1);
    assert.deepEqual(seen, ["end", "force", "stop"], "removed: the third SIGHUP is not answered");
  } finally {
    Deno.removeSignalListener("SIGHUP", guard);
  }
  // a signal already aborted stops at once
  const stopped: SignalAction[] = [];
  const aborted = AbortSignal.abort();
  watchSignals(false, {
    interrupt: () => stopped.push("interrupt"),
    end: () => stopped.push("end"),
    stop: () => stopped.push("stop"),
    force: () => stopped.push("force"),
  }, aborted).remove();
  assert.deepEqual(stopped, ["stop"]);
});
