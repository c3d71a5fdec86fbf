/**
 * One Ctrl-C can arrive twice. A terminal sends SIGINT to its whole foreground process group,
 * and `deno task` (the way the project's commands are run) passes the signal it received on to
 * its command too, so a command started by `deno task` gets one keypress as two SIGINTs
 * (measured with deno 2.9.6, a process group sent SIGINT once, 3 runs: 7 ms and 15 ms apart,
 * once merged into one by the kernel while pending). Counted as two, the first Ctrl-C of
 * `deno task capture -- AGENT` was both the agent's (passed on to it) and the second one
 * (the agent ended with SIGTERM), and `deno task agent -- ... --capture` killed its capture
 * at once ("SIGINT again"), leaving a recording that did not end cleanly.
 *
 * A repeat of the same signal less than ECHO_MS after the last one counted is that echo, not
 * the user asking again; a user who means it presses again later (a deliberate second Ctrl-C
 * comes well after 250 ms).
 */

/** How soon after a counted signal the same signal is taken as its echo (ms). */
export const ECHO_MS = 250;

/**
 * A filter of signal deliveries: `fresh(kind)` is true for a delivery that counts, false for
 * the echo of the last counted one of the same `kind` (a name; SIGTERM and SIGHUP may share
 * one). `now` is the clock (ms), for tests.
 */
export function signalEchoFilter(
  now: () => number = () => performance.now(),
): (kind: string) => boolean {
  const counted = new Map<string, number>();
  return (kind) => {
    const t = now();
    const last = counted.get(kind);
    if (last !== undefined && t - last < ECHO_MS) return false;
    counted.set(kind, t);
    return true;
  };
}
