/**
 * The report's access to an analysed recording: finds `analysis.duckdb` (analysing the
 * recording first when it has none, or when its tables are older than the report needs),
 * opens it read-only, says which optional tables (correlation's `links`, the detectors'
 * `findings`) it has, and runs the report's queries (`sql/<name>.sql`, values bound) into
 * plain rows.
 */
import { existsSync, statSync } from "node:fs";
import { join, resolve } from "node:path";
import { type DuckDBConnection, DuckDBInstance, type DuckDBValue } from "@duckdb/node-api";
import { analyzeRecording, DB_FILE } from "../analysis/analyze.ts";
import { loadPrices } from "../analysis/pricing.ts";

/** Tables and views of the analysis the report reads; without them it re-analyses. */
export const REQUIRED_TABLES = [
  "recordings",
  "problems",
  "llm_calls",
  "tool_calls",
  "processes",
  "process",
  "file",
  "net",
  "actions",
] as const;

/** The report's queries, `sql/<name>.sql`. */
export type ReportSql =
  | "report_actions"
  | "report_overview"
  | "report_processes"
  | "report_llm_calls"
  | "report_tool_calls"
  | "report_events"
  | "report_links"
  | "report_findings"
  | "report_evidence";

const SQL_DIR = new URL("./sql/", import.meta.url);
const sqlCache = new Map<string, string>();

/** The text of `sql/<name>.sql`. */
export function reportSql(name: ReportSql): string {
  let text = sqlCache.get(name);
  if (text === undefined) {
    text = Deno.readTextFileSync(new URL(`${name}.sql`, SQL_DIR));
    sqlCache.set(name, text);
  }
  return text;
}

/** A row as DuckDB's JS conversion gives it: BIGINT as bigint, lists as arrays. */
export type Row = Record<string, unknown>;

/** Bad input from the user: one line, exit code 1. */
export class ReportInputError extends Error {}

export interface OpenedDb {
  /** the recording directory */
  dir: string;
  /** the database file */
  path: string;
  conn: DuckDBConnection;
  /** every table and view name in the database */
  tables: Set<string>;
  /** the database was (re)built for this report */
  analysed: boolean;
  close(): void;
}

function isDir(path: string): boolean {
  try {
    return statSync(path).isDirectory();
  } catch {
    return false;
  }
}

async function open(path: string): Promise<{ instance: DuckDBInstance; conn: DuckDBConnection }> {
  const instance = await DuckDBInstance.create(path, { access_mode: "READ_ONLY" });
  return { instance, conn: await instance.connect() };
}

async function tableNames(c: DuckDBConnection): Promise<Set<string>> {
  const r = await c.runAndReadAll("SELECT table_name FROM information_schema.tables");
  return new Set(r.getRows().map((row) => String(row[0])));
}

/**
 * Opens the analysed database of a recording directory read-only; analyses the recording
 * first when it has no `analysis.duckdb`, when `reanalyze` is set, or when the database lacks
 * a table the report needs (an older analysis).
 */
export async function openAnalysed(
  recording: string,
  opts: { reanalyze?: boolean; log?: (line: string) => void } = {},
): Promise<OpenedDb> {
  const dir = resolve(recording);
  if (!isDir(dir)) throw new ReportInputError(`${recording}: not a directory`);
  const path = join(dir, DB_FILE);
  const log = opts.log ?? (() => {});
  let analysed = false;
  const analyse = async (why: string) => {
    log(`${recording}: ${why}, analysing it first`);
    try {
      await analyzeRecording(dir, loadPrices(), { quiet: true, err: () => {} });
    } catch (e) {
      throw new ReportInputError(`${recording}: ${(e as Error).message.split("\n")[0]}`);
    }
    analysed = true;
  };
  if (opts.reanalyze) await analyse("asked to re-analyse");
  else if (!existsSync(path)) await analyse("not analysed yet");
  let { instance, conn } = await open(path);
  let tables = await tableNames(conn);
  const missing = REQUIRED_TABLES.filter((t) => !tables.has(t));
  if (missing.length && !analysed) {
    conn.closeSync();
    instance.closeSync();
    await analyse(`its analysis has no ${missing.join(", ")} (made by an older version)`);
    ({ instance, conn } = await open(path));
    tables = await tableNames(conn);
  }
  const still = REQUIRED_TABLES.filter((t) => !tables.has(t));
  if (still.length) {
    conn.closeSync();
    instance.closeSync();
    throw new ReportInputError(`${path}: no ${still.join(", ")} table`);
  }
  await conn.run(reportSql("report_actions"));
  return {
    dir,
    path,
    conn,
    tables,
    analysed,
    close() {
      conn.closeSync();
      instance.closeSync();
    },
  };
}

/** Runs `sql/<name>.sql` with named values bound; returns its rows as objects. */
export async function queryRows(
  c: DuckDBConnection,
  name: ReportSql,
  params: Record<string, DuckDBValue> = {},
): Promise<Row[]> {
  const r = await c.runAndReadAll(reportSql(name), params);
  return r.getRowObjectsJS() as Row[];
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
