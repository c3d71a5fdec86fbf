/**
 * Finds the loader a capture process started, for tests that stop or kill it: the child of
 * `pid` (any of its threads) whose command line names sightline-loader.
 */

/** The pid of `pid`'s child running sightline-loader; throws when there is none. */
export function loaderOf(pid: number): number {
  for (const t of Deno.readDirSync(`/proc/${pid}/task`)) {
    const kids = Deno.readTextFileSync(`/proc/${pid}/task/${t.name}/children`).trim();
    for (const k of kids ? kids.split(" ").map(Number) : []) {
      try {
        if (Deno.readTextFileSync(`/proc/${k}/cmdline`).includes("sightline-loader")) return k;
      } catch { /* gone */ }
    }
  }
  throw new Error(`no loader under pid ${pid}`);
}
