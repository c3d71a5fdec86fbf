/**
 * Builds the correlation tables in an analysed recording's DuckDB database: creates them from
 * their declarations (replacing earlier ones), makes the event numbering (`sql/first_rows.sql`)
 * and the one definition of which raw rows are actions (`sql/action_rows.sql`), and fills them by running `sql/<table>.sql` in build order with the settings bound (a view,
 * `actions`, is made by its file instead). A step that fails, or rows that break a declaration,
 * become `problems` rows (analysis/build_steps.ts), never an exception.
 */
import type { DuckDBConnection } from "@duckdb/node-api";
import { CORRELATE_TABLES } from "./schema.ts";
import { type CorrelateSettings, DEFAULT_SETTINGS, settingsParams } from "./settings.ts";
import { readSql } from "../../kit/sql_runner.ts";
import { type Build, buildPart } from "../build_steps.ts";
import type { ProblemRow } from "../schema.ts";

export const SQL_DIR = new URL("./sql/", import.meta.url);

/** The build steps: one `.sql` per table, in order. */
export const BUILD_ORDER = CORRELATE_TABLES.map((t) => t.name);

/**
 * First, once the raw tables are loaded: the table macro `first_rows()` that numbers raw events
 * (an event's id is its rowid less its recording's first rowid in its table), used by `actions`
 * and by the detectors that read raw tables.
 */
export const FIRST_ROWS = "first_rows";

/**
 * After `FIRST_ROWS`: the table macro `action_rows()`, which raw rows are actions (defined
 * once), read by `actions` and by the detectors that count or order every action.
 */
export const ACTION_ROWS = "action_rows";

/** After `lineage`: the agent of each descendant in `processes`, from the one tree walk. */
export const PROCESS_AGENTS = "process_agents";

/**
 * After `tool_windows`: the agent's own helper processes (its program run again, outside every
 * tool call's window) made role `helper`, the agent's, in `lineage` and `processes`.
 */
export const AGENT_HELPERS = "agent_helpers";
export const AGENT_HELPER_ROLES = "agent_helper_roles";

/**
 * Before the `links` view: the table of its stored rows (`correlate.link_rows`, made by
 * `LINK_STORE`) filled by `LINK_ROWS` (the view gives the agent's own unexplained actions).
 */
export const LINK_STORE = "link_store";
export const LINK_ROWS = "link_rows";

/**
 * Before `links`: the macros that split the work of a shell the agent gives its commands on its
 * input among tool calls, read by `LINK_ROWS` and by `tool_outcomes` (one definition).
 */
export const SHELL_UNITS = "shell_units";

/**
 * Creates (or re-creates) the correlation tables and fills them, as part of `build` when
 * given (its problems are the caller's), else on its own (problems saved in `problems`).
 */
export function buildCorrelation(
  c: DuckDBConnection,
  settings: CorrelateSettings = DEFAULT_SETTINGS,
  build?: Build,
): Promise<ProblemRow[]> {
  return buildPart(c, build, async (b) => {
    const params = settingsParams(settings);
    await b.create(CORRELATE_TABLES);
    await b.run(`${FIRST_ROWS}.sql`, readSql(SQL_DIR, FIRST_ROWS));
    await b.run(`${ACTION_ROWS}.sql`, readSql(SQL_DIR, ACTION_ROWS));
    for (const def of CORRELATE_TABLES) {
      const sql = readSql(SQL_DIR, def.name);
      if (def.name === "links") {
        await b.run(`${LINK_STORE}.sql`, readSql(SQL_DIR, LINK_STORE), {}, "links has no rows");
        await b.run(
          `${SHELL_UNITS}.sql`,
          readSql(SQL_DIR, SHELL_UNITS),
          {},
          "links and tool_outcomes, which read it, fail",
        );
        await b.run(
          `${LINK_ROWS}.sql`,
          readSql(SQL_DIR, LINK_ROWS),
          params,
          "links has no rows with a tool call",
        );
      }
      // a view (actions, links) is made, not filled: its rows are read through it by the later
      // steps
      if (def.view) await b.run(`${def.name}.sql`, sql, params, `there is no ${def.name} view`);
      else await b.insert(def, `${def.name}.sql`, sql, params);
      if (def.name === "tool_windows") {
        await b.run(`${AGENT_HELPERS}.sql`, readSql(SQL_DIR, AGENT_HELPERS), params);
        await b.run(`${AGENT_HELPER_ROLES}.sql`, readSql(SQL_DIR, AGENT_HELPER_ROLES), params);
      }
      if (def.name === "lineage") {
        await b.run(`${PROCESS_AGENTS}.sql`, readSql(SQL_DIR, PROCESS_AGENTS), params);
      }
    }
    await b.finish();
  });
}
