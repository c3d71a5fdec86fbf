/**
 * What an export holds: every table of an analysed recording, in the order of their
 * declarations — the raw capture tables, the analysis tables, correlation, MCP, the detectors' inputs
 * and outputs, the observer's labels — and the two event views. One list, so the Parquet
 * export, `deno task sql` over an export and the tests agree on the names.
 *
 * Time columns: every `int64` column named `*_ns` is a wall-clock time in nanoseconds since the
 * Unix epoch (UTC); exports add a timestamp column named `*_at` beside it.
 */
import type { TableDef } from "../../kit/columns.ts";
import { ALL_TABLES, VIEWS } from "../schema.ts";
import { CORRELATE_TABLES } from "../correlate/schema.ts";
import { DETECT_INPUT_TABLES, DETECT_TABLES } from "../detect/schema.ts";
import { MCP_TABLES } from "../mcp/schema.ts";
import { labelsTable } from "../observer/schema.ts";

/** Declared tables, in declaration order. */
export const EXPORT_TABLES: readonly TableDef[] = [
  ...ALL_TABLES,
  ...CORRELATE_TABLES,
  ...MCP_TABLES,
  ...DETECT_INPUT_TABLES,
  ...DETECT_TABLES,
  labelsTable,
];

/** Views exported as tables (their columns are those of their SQL). */
export const EXPORT_VIEWS: readonly string[] = VIEWS.map((v) => v.name);

/** Every name an export may hold. */
export const EXPORT_NAMES: readonly string[] = [
  ...EXPORT_TABLES.map((t) => t.name),
  ...EXPORT_VIEWS,
];

/** Hive partition keys, outermost first: the capture's host and its UTC start date. */
export const PARTITION_KEYS = ["capture_host", "capture_date"] as const;

/** A column that holds a time in ns since the epoch. */
export function isTimeColumn(name: string, sqlType: string): boolean {
  return name.endsWith("_ns") && (sqlType === "BIGINT" || sqlType === "int64");
}

/** The timestamp column written beside time column `name` (`ts_ns` -> `ts_at`). */
export function timestampName(name: string): string {
  return `${name.slice(0, -3)}_at`;
}

/** A column of an exported table: its SQL type, and for an `X_at` the time column it shows. */
export interface ExportedColumn {
  name: string;
  type: string;
  timeOf?: string;
}

/**
 * The columns a table of columns `cols` is exported with, in order: `recording` first when it
 * has none (the recording's name), each column, each time column's `X_at` right after it.
 */
export function exportedColumns(
  cols: readonly { name: string; type: string }[],
): ExportedColumn[] {
  const out: ExportedColumn[] = [];
  if (!cols.some((c) => c.name === "recording")) out.push({ name: "recording", type: "VARCHAR" });
  for (const c of cols) {
    out.push({ name: c.name, type: c.type });
    if (isTimeColumn(c.name, c.type)) {
      out.push({ name: timestampName(c.name), type: "TIMESTAMP_NS", timeOf: c.name });
    }
  }
  return out;
}

/** The table declaration of `name`, if it is a declared table (not a view). */
export function exportTable(name: string): TableDef | undefined {
  return EXPORT_TABLES.find((t) => t.name === name);
}
