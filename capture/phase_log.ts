/**
 * SIGHTLINE_DEBUG: the capture's own phase timings on stderr, in milliseconds since the Deno
 * process started (the loader prints its own with the same variable, on the same clock:
 * phaseEnv), to see where start-up and teardown time goes.
 */
const enabled = (() => {
  try {
    return Deno.env.get("SIGHTLINE_DEBUG") !== undefined;
  } catch {
    return false; // no --allow-env
  }
})();

/**
 * This process's CPU time so far, ms: the sum of its threads' run time (/proc/self/task/N/
 * schedstat, nanoseconds; threads that have ended are not counted, Deno's live for the run).
 */
function cpuMs(): number {
  let ns = 0;
  try {
    for (const t of Deno.readDirSync("/proc/self/task")) {
      try {
        ns += Number(Deno.readTextFileSync(`/proc/self/task/${t.name}/schedstat`).split(" ")[0]);
      } catch { /* the thread ended */ }
    }
  } catch {
    return NaN;
  }
  return ns / 1e6;
}

/**
 * This process's CPU time so far by thread name (/proc/self/task/N/comm: the main thread is
 * `deno`, V8's helpers `V8 DefaultWorke`, the runtime's `tokio-runtime-w`, the inspection
 * worker `worker-1`), ms, largest first: where a capture's CPU goes beside the main thread.
 */
function cpuByThread(): string {
  const by = new Map<string, number>();
  try {
    for (const t of Deno.readDirSync("/proc/self/task")) {
      try {
        const dir = `/proc/self/task/${t.name}`;
        const ns = Number(Deno.readTextFileSync(`${dir}/schedstat`).split(" ")[0]);
        const name = Deno.readTextFileSync(`${dir}/comm`).trim();
        by.set(name, (by.get(name) ?? 0) + ns / 1e6);
      } catch { /* the thread ended */ }
    }
  } catch {
    return "";
  }
  return [...by].sort((a, b) => b[1] - a[1]).map(([n, ms]) => `${n} ${ms.toFixed(1)}`).join(", ");
}

/**
 * Prints one phase line when SIGHTLINE_DEBUG is set, with the CPU time used so far (`threads`:
 * and its split by thread name).
 */
export function phase(what: string, threads = false): void {
  if (enabled) {
    console.error(
      `sightline: ${performance.now().toFixed(1).padStart(9)} ms ${what} (cpu ${
        cpuMs().toFixed(1)
      } ms${threads ? `: ${cpuByThread()}` : ""})`,
    );
  }
}

/** The loader's environment for phase times on this process's clock (empty when not debugging). */
export function phaseEnv(): Record<string, string> {
  return enabled ? { SIGHTLINE_DEBUG_T0: String(performance.timeOrigin) } : {};
}
