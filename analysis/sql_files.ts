/**
 * The analysis SQL, kept in `sql/<name>.sql` files named after what they create or report:
 * the shared rules (macros) made with the tables, the build steps run in order after the
 * tables are loaded (the LLM calls' agents named first, then `processes`, before the views
 * that join it), the summary queries (each takes the recording as `$1`), the steps of the HTTP
 * tables' build, and the statements the build runs on any declared table (`{{table}}`,
 * `{{column}}`: kit/sql_runner.ts `withNames` puts declared names in) and on its problems.
 */
import { readSql, sqlFilesIn, withNames } from "../kit/sql_runner.ts";

/** The shared rules (DuckDB macros of `macros.sql`), made with the tables, before anything
 * reads by them: the HTTP parse's `ipc` streams read by `tcp_peers` too. */
export const RULES_SQL = ["macros"] as const;

/** Build steps, in order, once the tables are loaded and parsed (the rules made before): those
 * that fill a declared table (`processes`, `process_programs`: build_sql.ts) and the views. */
export const BUILD_SQL = [
  "llm_call_agents",
  "processes",
  "processes_killed_by",
  "process_programs",
  "file_events",
  "net_events",
] as const;

/** Summary queries; each binds `$1` = recording. */
export const SUMMARY_SQL = [
  "summary_totals",
  "summary_models",
  "summary_tools",
  "summary_files",
] as const;

/** Steps of the HTTP tables' build (`http_store.ts`). */
export const HTTP_SQL = ["http_numbers", "process_ends"] as const;

/** Statements on a declared table or column, named by `{{table}}` and `{{column}}`
 * (build_steps.ts): filled in by `tableSql`. */
export const TABLE_SQL = [
  "column_set_not_null",
  "table_clear",
  "table_delete_null_rows",
  "table_drop",
  "table_null_counts",
  "table_null_rows",
  "view_drop",
] as const;

/** The reads of a TLS table's calls, named by `{{table}}` (tls_stream.ts): by `tableSql`. */
export const TLS_SQL = ["tls_bytes", "tls_calls", "tls_connection_libs"] as const;

/** The statements `deno task sql` stacks the recordings it is given with (sql.ts). */
export const STACK_SQL = [
  "stack_label",
  "stack_labels",
  "stack_tables_everywhere",
  "stack_tables_with_recording",
] as const;

/** Statements on an analysed database's own record: its problems, its recording and how it
 * ended and what its table files were, the revision of the analysis that built it, its processes that outlived it and those whose LLM calls name no agent, the
 * local servers it talked to with no LLM call seen, the processes whose HTTPS went unrecorded
 * and the libraries they opened, its
 * tables' digests, the labels and tables it keeps from the one it replaces, the transaction a
 * statement runs in, the processes whose program's walk up their forks was cut, those whose
 * LLM calls' walk up their lineage was, and the agents whose ancestors' walk was. */
export const DB_SQL = [
  "analysis_revision",
  "digest_tables",
  "kept_tables",
  "file_paths_incomplete",
  "file_roots_changed",
  "https_unrecorded",
  "https_unrecorded_libs",
  "labels_kept",
  "lineage_cut",
  "llm_calls_cut",
  "llm_calls_unnamed",
  "llm_calls_unpriced",
  "loopback_servers_unseen",
  "problems_by_kind",
  "problems_clear_sources",
  "problems_said",
  "process_programs_cut",
  "processes_outlived",
  "recording_end",
  "recording_files",
  "recording_name",
  "table_digest",
  "transaction_id",
] as const;

export type SqlName =
  | typeof RULES_SQL[number]
  | typeof BUILD_SQL[number]
  | typeof SUMMARY_SQL[number]
  | typeof HTTP_SQL[number]
  | typeof DB_SQL[number]
  | typeof STACK_SQL[number];

export const SQL_DIR = new URL("./sql/", import.meta.url);

/** The text of `sql/<name>.sql`. */
export function sqlText(name: SqlName): string {
  return readSql(SQL_DIR, name);
}

/** A statement of `TABLE_SQL` or `TLS_SQL` on declared table `table` (and `column` of it). */
export function tableSql(
  name: typeof TABLE_SQL[number] | typeof TLS_SQL[number],
  table: string,
  column?: string,
): string {
  const names: Record<string, string> = column === undefined ? { table } : { table, column };
  return withNames(readSql(SQL_DIR, name), names, `${name}.sql`);
}

/** Every .sql file in the folder (for the test that runs them all). */
export function allSqlFiles(): string[] {
  return sqlFilesIn(SQL_DIR);
}
