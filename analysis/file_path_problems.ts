/**
 * Paths in `file` that do not name the file from the machine's root, said as `problems` rows
 * (source `file`) instead of left to look whole:
 * - paths the capture could not resolve whole (`file.path_incomplete`: the directory a relative
 *   path started from was deeper than the components the kernel side walks or longer than it
 *   keeps, a directory descriptor it could not read, or an open for writing by a descriptor's
 *   name it did not resolve, /dev/stdout or /proc/PID/fd/N): kind `truncated`, per process with
 *   the first such path;
 * - the paths of a process that changed its root directory (chroot), which it names from that
 *   root ("/etc/passwd" in a chroot at /srv/jail is /srv/jail/etc/passwd): the capture records
 *   the chroot (`file` op `chroot`, the new root as `path`) and the later paths as named: a
 *   path resolved inside the new root is from it, one resolved from a directory outside it (a
 *   descriptor or cwd kept from before, a `..` escape) from the machine's root, and the two
 *   cannot be told apart; kind `blind`, naming the processes and their roots.
 */
import type { DuckDBConnection } from "@duckdb/node-api";
import type { Build } from "./build_steps.ts";
import { type SqlName, sqlText } from "./sql_files.ts";
import { hasTables } from "../kit/sql_runner.ts";
import { errorLine } from "../kit/cli.ts";

/**
 * The rows of a query over file_events for `recording`; none when file_events is missing (its
 * own failure is a problem already); any other failure is a `sql` problem of `name`.
 */
async function fileEventRows(
  c: DuckDBConnection,
  b: Build,
  name: SqlName,
  recording: string,
): Promise<unknown[][]> {
  try {
    return (await c.runAndReadAll(sqlText(name), [recording])).getRows();
  } catch (e) {
    if (await hasTables(c, "file_events")) {
      b.problem(`${name}.sql`, "sql", `${errorLine(e)}; its problems rows were not made`);
    }
    return [];
  }
}

/** Says the file actions of `recording` in `b` whose paths are incomplete. */
export async function incompletePathsProblem(
  c: DuckDBConnection,
  b: Build,
  recording: string,
): Promise<void> {
  const rows = await fileEventRows(c, b, "file_paths_incomplete", recording);
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
      "a relative path started from was deeper than 40 components or longer than " +
      "PATH_MAX (then `path` holds only its end and names no file from the root), a " +
      "directory descriptor could not be read (then it is relative), or a file opened for " +
      "writing by a descriptor's name the capture did not resolve (/dev/stdout, " +
      `/proc/PID/fd/N: then as written) (the first: ${
        first.length > 120 ? `…${first.slice(-120)}` : first
      }); raw_path is as the program gave it (file.path_incomplete)`,
  );
}

/** Says the processes of `recording` in `b` that changed their root directory. */
export async function rootChangesProblem(
  c: DuckDBConnection,
  b: Build,
  recording: string,
): Promise<void> {
  const rows = await fileEventRows(c, b, "file_roots_changed", recording);
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
      "children made afterwards name are recorded as named, from that root (a path /x is " +
      "ROOT/x on this machine), except those resolved from a directory outside it (a " +
      "descriptor or cwd kept from before the chroot, a `..` escape), which are from the " +
      "machine's root: the recording cannot tell the two apart; find them by pid and time " +
      "after the `chroot` action",
  );
}
