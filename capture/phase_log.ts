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

/** Prints one phase line when SIGHTLINE_DEBUG is set. */
export function phase(what: string): void {
  if (enabled) {
    console.error(
      `sightline: ${performance.now().toFixed(1).padStart(9)} ms ${what}`,
    );
  }
}

/** The loader's environment for phase times on this process's clock (empty when not debugging). */
export function phaseEnv(): Record<string, string> {
  return enabled ? { SIGHTLINE_DEBUG_T0: String(performance.timeOrigin) } : {};
}
