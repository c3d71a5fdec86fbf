/**
 * The report's access to an analysed recording, through the analysis' one database layer
 * (analysis/analysed_db.ts): opened read-only, analysed first when it has no
 * `analysis.duckdb` or lacks a table the report needs, and the report's queries
 * (`sql/<name>.sql`, values bound) run into plain rows.
 */
import type { DuckDBConnection } from "@duckdb/node-api";
import { CliError } from "../kit/cli.ts";
import {
  type AnalysedDb,
  NotAnalysed,
  openAnalysed as open,
  type Row,
} from "../analysis/analysed_db.ts";
import { queryRows, readSql, type SqlValue } from "../kit/sql_runner.ts";

/** Tables and views of the analysis the report reads; without them it re-analyses. */
export const REQUIRED_TABLES = [
  "recordings",
  "problems",
  "blind_spots",
  "llm_calls",
  "tool_calls",
  "processes",
  "process",
  "file",
  "net",
  "lineage",
  "actions",
] as const;

/** The report's queries, `sql/<name>.sql`. */
export const REPORT_QUERIES = [
  "report_actions",
  "report_blind_spots",
  "report_problems",
  "report_overview",
  "report_processes",
  "report_llm_calls",
  "report_mcp_calls",
  "report_tool_calls",
  "report_tool_outcomes",
  "report_server_tool_calls",
  "report_events",
  "report_links",
  "report_server_links",
  "report_findings",
  "report_evidence",
] as const;
export type ReportSql = typeof REPORT_QUERIES[number];

/** The folder of the report's queries (and of the report tests' own, `reports/testing.ts`). */
export const REPORT_SQL = new URL("./sql/", import.meta.url);

/** The text of `sql/<name>.sql`. */
export function reportSql(name: ReportSql): string {
  return readSql(REPORT_SQL, name);
}

export type { Row };

/** An analysed database open for the report (its `report_actions` view made). */
export type OpenedDb = AnalysedDb;

/**
 * Opens the analysed database of a recording directory read-only; analyses the recording
 * first when it has no `analysis.duckdb`, when `reanalyze` is set, or when the database lacks
 * a table the report needs (an older analysis).
 */
export async function openAnalysed(
  recording: string,
  opts: { reanalyze?: boolean; log?: (line: string) => void } = {},
): Promise<OpenedDb> {
  let db: AnalysedDb;
  try {
    db = await open(recording, {
      rebuild: opts.reanalyze,
      require: REQUIRED_TABLES,
      log: opts.log,
    });
  } catch (e) {
    if (e instanceof NotAnalysed) throw new CliError(e.message); // one line, exit code 1
    throw e;
  }
  await db.conn.run(reportSql("report_actions"));
  return db;
}

/** Rows of the report query `sql/<name>.sql` (kit/sql_runner.ts `queryRows`, values bound). */
export function reportRows(
  c: DuckDBConnection,
  name: ReportSql,
  params: Record<string, SqlValue> = {},
): Promise<Row[]> {
  return queryRows(c, reportSql(name), params);
}

/** A number from a DuckDB value (BIGINT, HUGEINT, INTEGER, DOUBLE), or null. */
export function num(v: unknown): number | null {
  if (v === null || v === undefined) return null;
  if (typeof v === "bigint") return Number(v);
  if (typeof v === "number") return Number.isFinite(v) ? v : null;
  const n = Number(v);
  return Number.isFinite(n) ? n : null;
}

/** A bigint from a DuckDB BIGINT (nanosecond times stay exact), or null. */
export function big(v: unknown): bigint | null {
  if (v === null || v === undefined) return null;
  if (typeof v === "bigint") return v;
  if (typeof v === "number" && Number.isFinite(v)) return BigInt(Math.trunc(v));
  return null;
}

/** A string, or null. */
export function str(v: unknown): string | null {
  return v === null || v === undefined ? null : String(v);
}

/** A list of strings (DuckDB VARCHAR[]), or null. */
export function strList(v: unknown): string[] | null {
  if (v === null || v === undefined) return null;
  if (Array.isArray(v)) return v.map((x) => String(x));
  const items = (v as { items?: unknown[] }).items;
  return Array.isArray(items) ? items.map((x) => String(x)) : null;
}
