/**
 * The capture's CPU in a measured run, exactly, from the two proc_timer outputs: the outer one
 * around the capture command (`--wait-all`, a subreaper: it reaps the capture's Deno process,
 * the loader that outlives it and the gate's watchdog, each under its name) and the inner one
 * around the agent (its tree's total, and its own usage, `self`).
 *
 * The inner proc_timer is the loader's child, so its whole tree is inside the loader's
 * rusage: the loader's own CPU is that minus the inner total and self. What else the outer
 * timer reaped directly (a process of the agent still running when the agent's main process
 * exited, reparented to it) is neither the agent's measured CPU nor the capture's: it is
 * `otherMs`, kept apart instead of being counted as the capture's.
 */

/** One process name's usage in proc_timer's `by_comm` (and its `self`). */
export interface CommUsage {
  cpu_us: number;
}

/** What measuredRun reads of a proc_timer output. */
export interface TimerUsage {
  user_us: number;
  sys_us: number;
  self?: CommUsage;
  by_comm?: Record<string, CommUsage>;
}

export interface CaptureCpu {
  /** the capture's own processes: Deno, the loader and the watchdog */
  totalMs: number;
  /** each alone; null when the outer timer did not reap it under its name (then in totalMs) */
  denoMs: number | null;
  loaderMs: number | null;
  watchdogMs: number | null;
  /** what the outer timer reaped that is none of the capture's processes, nor the agent's tree */
  otherMs: number;
}

/** Process names (comm, cut at 15 characters) of the capture's processes. */
export const CAPTURE_COMMS = {
  deno: "deno",
  loader: "sightline-loade",
  watchdog: "sightline-watch",
} as const;

const ms = (us: number) => us / 1000;

/**
 * Splits the outer timer's total into the capture's processes and the rest. Without `by_comm`
 * (an older timer) everything but the agent's tree is counted as the capture's.
 */
export function captureCpu(outer: TimerUsage, inner: TimerUsage): CaptureCpu {
  // in microseconds throughout (whole numbers: the sums are exact)
  const innerUs = inner.user_us + inner.sys_us + (inner.self?.cpu_us ?? 0);
  const outerUs = outer.user_us + outer.sys_us;
  // everything but the agent's tree counted as the capture's, not told apart
  const unsplit = (): CaptureCpu => ({
    totalMs: ms(outerUs - innerUs),
    denoMs: null,
    loaderMs: null,
    watchdogMs: null,
    otherMs: 0,
  });
  const by = outer.by_comm;
  if (!by) return unsplit();
  const get = (comm: string) => by[comm]?.cpu_us;
  const deno = get(CAPTURE_COMMS.deno);
  const loader = get(CAPTURE_COMMS.loader);
  const watchdog = get(CAPTURE_COMMS.watchdog);
  const ours = (deno ?? 0) + (loader ?? 0) + (watchdog ?? 0);
  // the agent's timer reaped by the outer one itself (its parent, the loader, gone first)
  const innerApart = Object.keys(by).some((c) => c.startsWith("proc_timer"));
  // otherwise the agent's tree is inside the usage of the loader (or of Deno, had it reaped
  // the loader, which ended first: then only the sum of the two is known)
  const inOurs = innerApart ? 0 : innerUs;
  // a name not matched (the agent's tree then outside what is counted as ours): as without
  // by_comm
  if (ours < inOurs) return unsplit();
  const split = loader !== undefined;
  return {
    totalMs: ms(ours - inOurs),
    denoMs: split && deno !== undefined ? ms(deno) : null,
    loaderMs: split ? ms(loader - inOurs) : null,
    watchdogMs: watchdog === undefined ? null : ms(watchdog),
    otherMs: ms(outerUs - ours - (innerApart ? innerUs : 0)),
  };
}
