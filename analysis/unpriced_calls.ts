/**
 * LLM calls whose model the price table has no price for (`llm_calls.cost_usd` null and
 * `price_source` null: pricing.ts prices a model only by its own entry or that of the model it
 * is a snapshot of, never another version's) are a problem to say, not a total silently short:
 * one `llm` row of source `llm_calls` naming the models and their calls, and what to do.
 */
import type { DuckDBConnection } from "@duckdb/node-api";
import type { Build } from "./build_steps.ts";
import { sqlText } from "./sql_files.ts";

/** Says the calls of `recording` in `b` that `table` (the price table's file) has no price for. */
export async function unpricedCallsProblem(
  c: DuckDBConnection,
  b: Build,
  recording: string,
  table: string,
): Promise<void> {
  let rows: unknown[][];
  try {
    rows = (await c.runAndReadAll(sqlText("llm_calls_unpriced"), [recording])).getRows();
  } catch {
    return; // llm_calls failed: already a problem of its own
  }
  if (!rows.length) return;
  const calls = rows.reduce((s, r) => s + Number(r[1]), 0);
  const shown = rows.slice(0, 5).map(([model, n]) =>
    `${model === null ? "no model named" : model}: ${n}`
  );
  const more = rows.length > 5 ? ` and ${rows.length - 5} more models` : "";
  b.problem(
    "llm_calls",
    "llm",
    `${calls} LLM call${calls === 1 ? " has" : "s have"} no price (${shown.join(", ")}${more}): ` +
      `${table} has no entry for ${
        rows.length === 1 ? "its model" : "their models"
      } (an entry prices its model and that model's snapshots, never another version); ` +
      "cost_usd is null and every cost total leaves them out. To price them, give a table " +
      "with their models: deno task analyze --prices FILE RECORDING",
  );
}
