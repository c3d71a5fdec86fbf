/**
 * eBPF tests need root. They run for real in CI (as root); on a developer's machine without
 * root they are skipped, with the reason printed — but never when CI is set, where a
 * missing privilege must fail loudly instead of passing quietly.
 */

export const isRoot = Deno.uid() === 0;
const inCi = !!Deno.env.get("CI");

/** `ignore` value for Deno.test options of eBPF tests. */
export function skipWithoutRoot(): boolean {
  if (isRoot || inCi) return false;
  console.error("skipping eBPF test: not root and CI is unset (run as root to include it)");
  return true;
}
