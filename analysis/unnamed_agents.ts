/**
 * LLM calls whose agent could not be named (`llm_calls.agent` null: their User-Agent names
 * none, and no program of their process's lineage was recorded, sql/llm_call_agents.sql: else
 * the nearest program, `node`, names it) are a problem to say, not a blank to notice: one
 * `llm` row of source `llm_calls` naming the processes, why and what to do. Either nothing of
 * the process was recorded (a process the capture joined, `--pid`, `--comm`, by a capture
 * older than the `joined` process rows; or its process records lost), or its lineage breaks at
 * a process with no exec or join recorded (records lost, a pid reused).
 */
import type { DuckDBConnection } from "@duckdb/node-api";
import type { Build } from "./build_steps.ts";
import { sqlText } from "./sql_files.ts";

/** Says the unnamed callers of `recording` in `b`; `mode`: manifest.json's capture mode. */
export async function unnamedAgentsProblem(
  c: DuckDBConnection,
  b: Build,
  recording: string,
  mode: string | undefined,
): Promise<void> {
  let rows: unknown[][];
  try {
    rows = (await c.runAndReadAll(sqlText("llm_calls_unnamed"), [recording])).getRows();
  } catch {
    return; // llm_calls or process failed: already a problem of its own
  }
  if (!rows.length) return;
  const calls = rows.reduce((s, r) => s + Number(r[1]), 0);
  const shown = rows.slice(0, 5).map(([pid, n, _seen, comm]) =>
    `pid ${pid}${comm ? ` ${comm}` : ""}: ${n}`
  );
  const more = rows.length > 5 ? ` and ${rows.length - 5} more processes` : "";
  const unseen = rows.every((r) => r[2] === false);
  const one = rows.length === 1;
  const joined = mode === "pid" || mode === "comm";
  // null means no program of the lineage was recorded at all (else the nearest names it)
  const why = unseen
    ? `no fork, exec, exit or join of ${one ? "its process" : "their processes"} was recorded` +
      (joined
        ? ` (running before the capture joined with --${mode}, by a capture older than the ` +
          "`joined` process rows, or its process records lost: see the capture problems)"
        : " (its process records lost or cut short: see the capture problems)")
    : `no program of ${one ? "its process's" : "their processes'"} lineage was recorded (it ` +
      "breaks at a process with no exec or join recorded: its records lost, or a pid reused)";
  const todo = joined
    ? "To name it, join it with a current capture (--pid records what each joined process " +
      "runs) or capture the agent from its start (deno task capture -- CMD)"
    : "To name it, capture again with nothing lost (the capture problems say what was)";
  b.problem(
    "llm_calls",
    "llm",
    `${calls} LLM call${calls === 1 ? " names" : "s name"} no agent (${
      shown.join(", ")
    }${more}): ` +
      `their User-Agent names none and ${why}; agent is null in llm_calls, sessions and ` +
      `processes. ${todo}`,
  );
}
