/**
 * LLM calls whose agent could not be named (`llm_calls.agent` null: their User-Agent names
 * none, and no program of their process's lineage was recorded, sql/llm_call_agents.sql) are a
 * problem to say, not a blank to notice: one `llm` row of source `llm_calls` naming the
 * processes and what to do. The usual cause is a process the capture joined (`--pid`,
 * `--comm`) that was running before it, of which a capture older than the `joined` process
 * rows recorded nothing (its exec came before the capture); the fix is to capture the agent
 * from its start (`deno task capture -- CMD`) or to join it with a current capture.
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
  const joined = mode === "pid" || mode === "comm";
  const why = unseen && joined
    ? `nothing of ${rows.length === 1 ? "its process" : "their processes"} but what ${
      rows.length === 1 ? "it" : "they"
    } did after the capture joined with --${mode} was recorded (no program, command line or ` +
      "parent: running before the capture, recorded by a capture older than its `joined` rows)"
    : "no program of their process's lineage names one, or none was recorded";
  b.problem(
    "llm_calls",
    "llm",
    `${calls} LLM call${calls === 1 ? "" : "s"} name no agent (${shown.join(", ")}${more}): ` +
      `their User-Agent names none and ${why}; agent is null in llm_calls, sessions and ` +
      "processes. To name it, capture the agent from its start (deno task capture -- CMD) " +
      "or join it with a current capture (--pid records what each joined process runs)",
  );
}
