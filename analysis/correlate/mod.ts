/**
 * Correlation: which LLM decision caused which process, file and connection. From the analysis
 * tables it builds `lineage` (every process placed in an agent's tree), `sessions`, `actions`
 * (every raw event with a stable id), `tool_terms` (what each tool call names), `tool_windows`
 * (when each could act), `links` (each action's tool call with its signals and confidence,
 * or why it has none) and `tool_outcomes` (how each tool call's command ended, by the
 * kernel's evidence); and measures link precision and recall on the real agents
 * (`deno task eval`). Tables: `SCHEMA.md`; method and measurements: `README.md`.
 */
export { BUILD_ORDER, buildCorrelation } from "./build.ts";
export {
  checkSettings,
  type CorrelateSettings,
  DEFAULT_SETTINGS,
  settingsParams,
} from "./settings.ts";
export {
  actionsTable,
  CORRELATE_TABLES,
  lineageTable,
  type LinkRow,
  linksTable,
  sessionsTable,
  toolOutcomesTable,
  toolTermsTable,
  toolWindowsTable,
} from "./schema.ts";
export { bindFor, paramNames, queryRows, runSql } from "../../kit/sql_runner.ts";
