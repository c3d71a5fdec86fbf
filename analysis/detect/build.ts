/**
 * Builds the detectors' tables in an analysed recording's database (after correlation): loads
 * the pattern files into their tables, then runs `sql/<name>.sql` in order with the thresholds
 * bound. Re-running replaces the tables.
 */
import type { DuckDBConnection } from "@duckdb/node-api";
import { ddl, quoteIdent } from "../../kit/columns.ts";
import { appendRows } from "../duckdb_tables.ts";
import { readSql, runSql } from "../../kit/sql_runner.ts";
import { loadAllowlist, loadInjectionPatterns, loadSensitivePatterns } from "./patterns.ts";
import {
  allowlistTable,
  DETECT_INPUT_TABLES,
  DETECT_TABLES,
  injectionPatternsTable,
  sensitivePatternsTable,
} from "./schema.ts";
import { DEFAULT_DETECT_SETTINGS, detectParams, type DetectSettings } from "./settings.ts";

export const SQL_DIR = new URL("./sql/", import.meta.url);

/** The detector steps after the pattern tables are loaded, in order. */
export const DETECT_ORDER = [
  "allowlist",
  "sensitive_reads",
  "net_destinations",
  "injection_texts",
  "tool_cycles",
  "file_sharing",
  "agent_activity",
  "findings_sensitive_access",
  "findings_exfiltration",
  "findings_prompt_injection",
  "findings_reasoning_loop",
  "findings_multi_agent",
  "findings_unexplained",
] as const;

/** Creates (or re-creates) the detector tables and fills them. Needs the correlation tables. */
export async function buildFindings(
  c: DuckDBConnection,
  settings: DetectSettings = DEFAULT_DETECT_SETTINGS,
): Promise<void> {
  const all = [...DETECT_INPUT_TABLES, ...DETECT_TABLES];
  for (const def of [...all].reverse()) {
    await c.run(`DROP TABLE IF EXISTS ${quoteIdent(def.name)}`);
  }
  for (const def of all) await c.run(ddl(def));
  const sensitive = loadSensitivePatterns(settings.sensitivePaths);
  const phrases = loadInjectionPatterns(settings.injectionPhrases);
  type Rows = Record<string, unknown>[];
  await appendRows(c, sensitivePatternsTable, sensitive as unknown as Rows);
  await appendRows(
    c,
    allowlistTable,
    loadAllowlist(settings.allowlist).map((e) => ({ recording: null, ...e })),
  );
  await appendRows(c, injectionPatternsTable, phrases as unknown as Rows);
  const params = {
    ...detectParams(settings),
    // every sensitive pattern at once, to screen opens with one compiled regex
    sensitive_any: sensitive.length ? sensitive.map((p) => `(${p.regex})`).join("|") : "^$.",
    injection_any: phrases.length ? `(?is)${phrases.map((p) => `(${p.regex})`).join("|")}` : "^$.",
  };
  for (const name of DETECT_ORDER) {
    await runSql(c, readSql(SQL_DIR, name), params, `${name}.sql`);
  }
}
