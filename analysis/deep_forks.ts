/**
 * Processes whose program `process_programs` could not find because the walk up their forks
 * (through ancestors that had not exec'd by the fork below them) reached its limit, 64
 * generations, and would have gone on: their `exe` (and `file_events.exe`, `net_events.exe`) is
 * null from their fork until they exec. Said as one `truncated` row of source
 * `process_programs`, naming them, not left as nulls that look like an unrecorded program.
 */
import type { DuckDBConnection } from "@duckdb/node-api";
import type { Build } from "./build_steps.ts";
import { sqlText } from "./sql_files.ts";

/** Says the processes of `recording` in `b` whose fork chain was too deep to follow. */
export async function deepForksProblem(
  c: DuckDBConnection,
  b: Build,
  recording: string,
): Promise<void> {
  let rows: unknown[][];
  try {
    rows = (await c.runAndReadAll(sqlText("process_programs_cut"), [recording])).getRows();
  } catch {
    return; // process_programs.sql failed: already a problem of its own
  }
  if (!rows.length) return;
  const n = rows.length;
  const shown = rows.slice(0, 5).map(([pid, _from, comm]) => `pid ${pid}${comm ? ` ${comm}` : ""}`);
  const more = n > 5 ? ` and ${n - 5} more` : "";
  b.problem(
    "process_programs",
    "truncated",
    `${n} process${n === 1 ? "'s" : "es'"} program could not be found (${
      shown.join(", ")
    }${more}): ` +
      "the walk up ancestors that had forked without exec'ing stopped at 64 generations; their " +
      "exe is null in process_programs, file_events and net_events from their fork until they exec",
  );
}
