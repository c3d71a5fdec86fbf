/**
 * The analysis SQL, kept in `sql/<name>.sql` files named after what they create or report:
 * build steps run in order after the tables are loaded (`processes` before the views that
 * join it), the summary queries (each takes the recording as `$1`), and the steps of the HTTP
 * tables' build.
 */
import { readSql } from "../kit/sql_runner.ts";

/** Build steps, in order: the shared rules (macros) first. */
export const BUILD_SQL = ["macros", "processes", "file_events", "net_events"] as const;

/** Summary queries; each binds `$1` = recording. */
export const SUMMARY_SQL = [
  "summary_totals",
  "summary_models",
  "summary_tools",
  "summary_files",
] as const;

/** Steps of the HTTP tables' build (`http_store.ts`). */
export const HTTP_SQL = ["http_numbers"] as const;

export type SqlName =
  | typeof BUILD_SQL[number]
  | typeof SUMMARY_SQL[number]
  | typeof HTTP_SQL[number];

export const SQL_DIR = new URL("./sql/", import.meta.url);

/** The text of `sql/<name>.sql`. */
export function sqlText(name: SqlName): string {
  return readSql(SQL_DIR, name);
}

/** Every .sql file in the folder (for the test that runs them all). */
export function allSqlFiles(): string[] {
  return [...Deno.readDirSync(SQL_DIR)].filter((e) => e.name.endsWith(".sql"))
    .map((e) => e.name.slice(0, -4)).sort();
}
