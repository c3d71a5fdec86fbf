/**
 * The queries the lab's checks of an analysed recording run (the capture tests of this folder,
 * the tool_marker checks in `tool_marker_capture.ts`, the Ollama client's in
 * `../clients/ollama_checks.ts`), one `.sql` file each in `sql/`, named after what it gives,
 * values bound; `sql_files_test.ts` runs every one of them against the real schema.
 */
import { queryDb } from "../../analysis/analysed_db.ts";
import { readSql, type SqlValue } from "../../kit/sql_runner.ts";

/** The folder of the check queries. */
export const CHECK_SQL = new URL("./sql/", import.meta.url);

/** The rows of check query `name` (`sql/NAME.sql`) on the analysed database `db`. */
export function checkRows(
  db: string,
  name: string,
  values: Record<string, SqlValue> = {},
): Promise<Record<string, unknown>[]> {
  return queryDb(db, readSql(CHECK_SQL, name), values);
}

/** Rows (or anything) as JSON for a failure message, BIGINTs as numbers. */
export const show = (v: unknown): string =>
  JSON.stringify(v, (_k, x) => typeof x === "bigint" ? Number(x) : x);
