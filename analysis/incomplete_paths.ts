/**
 * File actions whose path the capture could not resolve whole (`file.path_incomplete`: the
 * directory a relative path starts from was deeper than the components the kernel side walks or
 * longer than it keeps, or a directory descriptor it could not read) hold a path that is only
 * its end, shown as if absolute: a `problems` row (source `file`, kind `truncated`) says so,
 * per process with the first such path, instead of a path that silently names another file.
 */
import type { DuckDBConnection } from "@duckdb/node-api";
import type { Build } from "./build_steps.ts";
import { sqlText } from "./sql_files.ts";

/** Says the file actions of `recording` in `b` whose paths are incomplete. */
export async function incompletePathsProblem(
  c: DuckDBConnection,
  b: Build,
  recording: string,
): Promise<void> {
  let rows: unknown[][];
  try {
    rows = (await c.runAndReadAll(sqlText("file_paths_incomplete"), [recording])).getRows();
  } catch {
    return; // file_events failed: already a problem of its own
  }
  if (!rows.length) return;
  const n = rows.reduce((s: number, r) => s + Number(r[2]), 0);
  const written = rows.reduce((s: number, r) => s + Number(r[3]), 0);
  const shown = rows.slice(0, 5).map(([pid, comm, k]) =>
    `pid ${pid}${comm ? ` ${comm}` : ""}: ${k}`
  );
  const more = rows.length > 5 ? ` and ${rows.length - 5} more processes` : "";
  const first = String(rows[0][4]);
  b.problem(
    "file",
    "truncated",
    `${n} file action${n === 1 ? " has a path" : "s have paths"} the capture could not ` +
      `resolve whole (${shown.join(", ")}${more}; ${written} changed files): the directory ` +
      "a relative path started from was deeper than 40 components or longer than about " +
      "3.8 KiB (then `path` holds only its end and names no file from the root), or a " +
      `directory descriptor could not be read (then it is relative) (the first: ${
        first.length > 120 ? `…${first.slice(-120)}` : first
      }); raw_path is as the program gave it (file.path_incomplete)`,
  );
}
