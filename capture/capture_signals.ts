/**
 * What a signal to a running capture does (recorder.ts installs it for the capture's life).
 * With a command the capture started, the first SIGINT is the command's to decide (passed on
 * to its process group, `interrupt`), a second ends the command as SIGTERM does (`end`: the
 * loader is told to end it, and the capture with it), a third forces the end (`force`: the
 * command and the loader are killed; the files keep what was flushed). Without one (--pid,
 * --comm) the first SIGINT ends the capture (`stop`: the traced processes run on). SIGTERM and
 * SIGHUP count together: the first ends the command (`end`) or the capture (`stop`), a second
 * forces it. The caller's AbortSignal, when it fires (or has fired), ends the capture (`stop`).
 * The same signal again within 250 ms of one counted is its echo (`deno task` passes on the
 * terminal's SIGINT to the capture, which the terminal sent it too): not counted.
 */
import { signalEchoFilter } from "../kit/signal_echo.ts";

/** What the capture does on a signal. */
export type SignalAction = "interrupt" | "end" | "stop" | "force";

/** The signals a capture answers. */
export type CaptureSignal = "SIGINT" | "SIGTERM" | "SIGHUP";

/** What a capture ended by a signal of its own exits with (128 + the signal's number, as a
 * shell says of a command it killed). */
export const SIGNAL_EXIT: Record<CaptureSignal, number> = {
  SIGHUP: 129,
  SIGINT: 130,
  SIGTERM: 143,
};

/** The signal of SIGNAL_EXIT whose exit code `code` is (a process it killed), if any. */
export function exitSignal(code: number): CaptureSignal | undefined {
  return (Object.keys(SIGNAL_EXIT) as CaptureSignal[]).find((s) => SIGNAL_EXIT[s] === code);
}

/**
 * What the manifest (a `problems` row) and the user are told of a start that `signal`
 * interrupted: with a command, that it was not run; else that the processes were not followed.
 */
export function interruptedStart(signal: CaptureSignal, withCommand: boolean): string {
  return `the capture was interrupted (${signal}) while it started: ` +
    (withCommand ? "the command was not run" : "the processes were not followed");
}

/**
 * The action for the `count`-th signal of its kind (SIGINT, or SIGTERM and SIGHUP together),
 * counted from 1, for a capture that started its command (`withCommand`) or joined processes.
 */
export function signalAction(
  signal: CaptureSignal,
  count: number,
  withCommand: boolean,
): SignalAction {
  if (signal === "SIGINT") {
    if (count > 2) return "force";
    if (!withCommand) return "stop";
    return count > 1 ? "end" : "interrupt";
  }
  if (count > 1) return "force";
  return withCommand ? "end" : "stop";
}

/**
 * Where signals come from: a function that calls `on` for each one until the function it
 * returned is called. Default: this process's (a resident capture's session: its client's,
 * passed on over its socket).
 */
export type SignalSource = (on: (signal: CaptureSignal) => void) => () => void;

/** This process's SIGINT, SIGTERM and SIGHUP. */
const processSignals: SignalSource = (on) => {
  const listeners = (["SIGINT", "SIGTERM", "SIGHUP"] as const).map((s) => {
    const l = () => on(s);
    Deno.addSignalListener(s, l);
    return [s, l] as const;
  });
  return () => listeners.forEach(([s, l]) => Deno.removeSignalListener(s, l));
};

/**
 * Answers SIGINT, SIGTERM and SIGHUP (and `abort` firing) with `actions` until `remove()`,
 * which takes the listeners away again.
 */
export function watchSignals(
  withCommand: boolean,
  actions: Record<SignalAction, () => void>,
  abort?: AbortSignal,
  source: SignalSource = processSignals,
): { remove(): void } {
  let interrupts = 0;
  let terms = 0;
  // one Ctrl-C reaches a capture under `deno task` twice: the echo is not a second signal
  const fresh = signalEchoFilter();
  const onSigint = () => {
    if (fresh("SIGINT")) actions[signalAction("SIGINT", ++interrupts, withCommand)]();
  };
  const onSigterm = () => {
    if (fresh("SIGTERM")) actions[signalAction("SIGTERM", ++terms, withCommand)]();
  };
  const unwatch = source((s) => s === "SIGINT" ? onSigint() : onSigterm());
  const onAbort = () => actions.stop();
  abort?.addEventListener("abort", onAbort);
  if (abort?.aborted) onAbort();
  return {
    remove() {
      unwatch();
      abort?.removeEventListener("abort", onAbort);
    },
  };
}

/**
 * The signals of a capture from the start of its loader on, taken once (one listener for the
 * capture's life, so none is missed and a resident session's single listener is not taken
 * twice). Until `source` is listened to (watchSignals, once the command is released), a signal
 * interrupts the start: the first fresh one (its echo not counted) ends it in order (`onEnd`),
 * any later one forces it (`onForce`: kill what is left). After that, they go to `source`'s
 * listener.
 */
export interface StartSignals {
  /** the signal that interrupted the start, if one did */
  interrupted(): CaptureSignal | undefined;
  /** settles when the start is interrupted */
  readonly interruption: Promise<CaptureSignal>;
  /** whether a signal after the first forced the end */
  forced(): boolean;
  /**
   * What the start's interruption does: `end` at the first signal, `force` at a later one;
   * each is called at once when its signal came before.
   */
  onInterrupt(end: () => void, force: () => void): void;
  /** the signals from now on (no longer the start's) */
  readonly source: SignalSource;
  /** takes the listener away */
  remove(): void;
}

/** Takes the signals of `source` (default: this process's) from now on: StartSignals. */
export function startSignals(source: SignalSource = processSignals): StartSignals {
  let first: CaptureSignal | undefined;
  let forced = false;
  let settle!: (s: CaptureSignal) => void;
  const interruption = new Promise<CaptureSignal>((r) => settle = r);
  let end: (() => void) | undefined;
  let force: (() => void) | undefined;
  let taker: ((s: CaptureSignal) => void) | undefined;
  const fresh = signalEchoFilter();
  const unwatch = source((s) => {
    if (taker) return taker(s);
    if (!fresh(s === "SIGINT" ? "SIGINT" : "SIGTERM")) return;
    if (first === undefined) {
      first = s;
      settle(s);
      end?.();
    } else if (!forced) {
      forced = true;
      force?.();
    }
  });
  return {
    interrupted: () => first,
    interruption,
    forced: () => forced,
    onInterrupt(onEnd, onForce) {
      end = onEnd;
      force = onForce;
      if (first !== undefined) onEnd();
      if (forced) onForce();
    },
    source: (on) => {
      taker = on;
      return () => taker = undefined;
    },
    remove: unwatch,
  };
}
