/**
 * A process that changed its root directory (chroot) names its later files from that root:
 * "/etc/passwd" in a chroot at /srv/jail is /srv/jail/etc/passwd. The capture records the
 * chroot (`file` op `chroot`, the new root as `path`) and the later paths as the process named
 * them; a `problems` row (source `file`, kind `blind`) says which processes did it and where
 * their paths lie, instead of paths shown as if from the machine's root.
 */
import type { DuckDBConnection } from "@duckdb/node-api";
import type { Build } from "./build_steps.ts";
import { sqlText } from "./sql_files.ts";

/** Says the processes of `recording` in `b` that changed their root directory. */
export async function rootChangesProblem(
  c: DuckDBConnection,
  b: Build,
  recording: string,
): Promise<void> {
  let rows: unknown[][];
  try {
    rows = (await c.runAndReadAll(sqlText("file_roots_changed"), [recording])).getRows();
  } catch {
    return; // file_events failed: already a problem of its own
  }
  if (!rows.length) return;
  const n = rows.length;
  const shown = rows.slice(0, 5).map(([pid, comm, root, k]) =>
    `pid ${pid}${comm ? ` ${comm}` : ""} to ${root}${Number(k) > 1 ? ` (first of ${k})` : ""}`
  );
  const more = n > 5 ? ` and ${n - 5} more` : "";
  b.problem(
    "file",
    "blind",
    `${n} process${n === 1 ? "" : "es"} changed ${n === 1 ? "its" : "their"} root directory ` +
      `(chroot: ${shown.join(", ")}${more}): the paths ${n === 1 ? "it" : "they"} and the ` +
      "children made afterwards name are from that root, recorded as named (a path /x is " +
      "ROOT/x on this machine); find them by pid and time after the `chroot` action",
  );
}
