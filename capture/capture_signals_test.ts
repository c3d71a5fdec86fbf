/**
 * A capture's answer to signals: the count-by-count rule with and without a command, and the
 * listeners on real signals sent to this process (SIGHUP, which the test runner leaves alone)
 * until they are removed; a repeat within ECHO_MS (deno task's echo of a terminal's signal) not
 * counted.
 */
import assert from "node:assert/strict";
import {
  type CaptureSignal,
  exitSignal,
  interruptedStart,
  SIGNAL_EXIT,
  type SignalAction,
  signalAction,
  startSignals,
  watchSignals,
} from "./capture_signals.ts";
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

/** A signal source the test drives: `send` delivers to whoever listens. */
function fakeSource() {
  let on: ((s: CaptureSignal) => void) | undefined;
  let listening = 0;
  return {
    source: (l: (s: CaptureSignal) => void) => {
      on = l;
      listening++;
      return () => {
        on = undefined;
        listening--;
      };
    },
    send: (s: CaptureSignal) => on?.(s),
    listening: () => listening,
  };
}

Deno.test("start signals: the first interrupts the start (said once it is asked), its echo is not counted, the next forces", async () => {
  const src = fakeSource();
  const start = startSignals(src.source);
  assert.equal(start.interrupted(), undefined);
  src.send("SIGINT");
  src.send("SIGINT"); // deno task's echo of the same Ctrl-C
  assert.equal(start.interrupted(), "SIGINT");
  assert.equal(await start.interruption, "SIGINT");
  assert.equal(start.forced(), false, "the echo does not force");
  // registered after the signal (the loader connected later): the end is asked at once
  const did: string[] = [];
  start.onInterrupt(() => did.push("end"), () => did.push("force"));
  assert.deepEqual(did, ["end"]);
  src.send("SIGTERM");
  assert.deepEqual(did, ["end", "force"]);
  assert.equal(start.forced(), true);
  src.send("SIGHUP");
  assert.deepEqual(did, ["end", "force"], "forced once");
  start.remove();
  assert.equal(src.listening(), 0, "remove() lets go");
});

Deno.test("start signals: once taken over (the command released), signals go to the new listener, the start is not interrupted", () => {
  const src = fakeSource();
  const start = startSignals(src.source);
  const did: string[] = [];
  start.onInterrupt(() => did.push("end"), () => did.push("force"));
  const got: CaptureSignal[] = [];
  const release = start.source((s) => got.push(s));
  src.send("SIGINT");
  src.send("SIGTERM");
  assert.deepEqual(got, ["SIGINT", "SIGTERM"]);
  assert.deepEqual(did, []);
  assert.equal(start.interrupted(), undefined);
  release();
  assert.equal(src.listening(), 1, "the one listener stays until remove()");
  start.remove();
  assert.equal(src.listening(), 0);
});

Deno.test("start signals: the exit code and the line of an interrupted start", () => {
  assert.deepEqual(SIGNAL_EXIT, { SIGHUP: 129, SIGINT: 130, SIGTERM: 143 });
  // a process those killed (the loader, by a terminal's Ctrl-C before it blocks it)
  assert.deepEqual([130, 143, 129, 137, 1].map(exitSignal), [
    "SIGINT",
    "SIGTERM",
    "SIGHUP",
    undefined,
    undefined,
  ]);
  assert.equal(
    interruptedStart("SIGTERM", true),
    "the capture was interrupted (SIGTERM) while it started: the command was not run",
  );
  assert.match(interruptedStart("SIGINT", false), /\(SIGINT\).*the processes were not followed$/);
});
