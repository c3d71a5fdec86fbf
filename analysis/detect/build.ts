/**
 * Builds the detectors' tables in an analysed recording's database (after correlation): loads
 * the pattern files into their tables, makes the detectors' shared macros, then runs
 * `sql/<name>.sql` in order with the thresholds bound. Re-running replaces the tables.
 */
import type { DuckDBConnection } from "@duckdb/node-api";
import type { TableDef } from "../../kit/columns.ts";
import { queryRows, readSql } from "../../kit/sql_runner.ts";
import { type Build, buildPart } from "../build_steps.ts";
import type { ProblemRow } from "../schema.ts";
import {
  loadAllowlist,
  loadInjectionPatterns,
  loadPersistencePatterns,
  loadSensitivePatterns,
} from "./patterns.ts";
import {
  allowlistTable,
  DETECT_INPUT_TABLES,
  DETECT_TABLES,
  injectionPatternsTable,
  persistencePatternsTable,
  sensitivePatternsTable,
} from "./schema.ts";
import { alternation } from "./pattern_screens.ts";
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
  "findings_evasion",
] as const;

/**
 * The paths opened that a sensitive pattern may match, kept in a temporary table just before
 * `sensitive_reads.sql` reads them (a table's row count is known to DuckDB's planner).
 */
export const SENSITIVE_OPENED = "sensitive_opened";

/** The detectors' shared rules (macros), made after their tables and before the steps. */
export const DETECT_MACROS = "detect_macros";

/** Queries over the detectors' tables whose rows become `problems` rows (no table of theirs). */
export const DETECT_PROBLEM_QUERIES = ["proxy_guesses", "homes_capped"] as const;

/** The table a step fills: `findings_*` steps add to `findings`, the others fill their own. */
function targetOf(step: string): TableDef {
  const name = step.startsWith("findings_") ? "findings" : step;
  return [...DETECT_INPUT_TABLES, ...DETECT_TABLES].find((t) => t.name === name)!;
}

/**
 * Creates (or re-creates) the detector tables and fills them. Needs the correlation tables.
 * Part of `build` when given (its problems are the caller's), else on its own (problems saved
 * in `problems`): a step that fails or rows that break a declaration are problems, never an
 * exception.
 */
export function buildFindings(
  c: DuckDBConnection,
  settings: DetectSettings = DEFAULT_DETECT_SETTINGS,
  build?: Build,
): Promise<ProblemRow[]> {
  return buildPart(c, build, async (b) => {
    await b.create([...DETECT_INPUT_TABLES, ...DETECT_TABLES]);
    const sensitive = loadSensitivePatterns(settings.sensitivePaths);
    const phrases = loadInjectionPatterns(settings.injectionPhrases);
    type Rows = Record<string, unknown>[];
    await b.appendRows(sensitivePatternsTable, sensitive as unknown as Rows);
    await b.appendRows(
      persistencePatternsTable,
      loadPersistencePatterns(settings.persistencePaths) as unknown as Rows,
    );
    await b.appendRows(
      allowlistTable,
      loadAllowlist(settings.allowlist).map((e) => ({ recording: null, ...e })),
    );
    await b.appendRows(injectionPatternsTable, phrases as unknown as Rows);
    await b.run(`${DETECT_MACROS}.sql`, readSql(SQL_DIR, DETECT_MACROS));
    const params = {
      ...detectParams(settings),
      // every sensitive pattern at once, to screen opens with one compiled regex
      sensitive_any: alternation(sensitive.map((p) => p.regex)),
      injection_any: phrases.length
        ? `(?is)${phrases.map((p) => `(${p.regex})`).join("|")}`
        : "^$.",
    };
    for (const name of DETECT_ORDER) {
      // (a screen that failed is said once, and sensitive_reads is not filled from an earlier
      // run's paths)
      if (
        name === "sensitive_reads" &&
        !(await b.run(
          `${SENSITIVE_OPENED}.sql`,
          readSql(SQL_DIR, SENSITIVE_OPENED),
          params,
          "sensitive_reads has no rows",
        ))
      ) continue;
      await b.insert(targetOf(name), `${name}.sql`, readSql(SQL_DIR, name), params);
      if (name === "net_destinations") await proxyGuesses(b);
    }
    await homesCapped(b);
    await b.finish();
  });
}

/**
 * One `problems` row per recording and kind of guess that named connects to a proxy
 * (`net_destinations.name_source`): `proxy_process`, loopback connects named by the hosts of
 * their process's next connection to a proxy, not by their own connection; `proxy_tls`,
 * connects named by the TLS connection to an HTTPS proxy that followed them.
 */
async function proxyGuesses(b: Build): Promise<void> {
  const file = "proxy_guesses.sql";
  const rows = await problemQuery(b, "proxy_guesses", "the proxy guesses could not be listed");
  for (const r of rows) {
    const n = Number(r.n);
    b.problems.push({
      recording: String(r.recording),
      source: file,
      kind: "guess",
      message: r.name_source === "proxy_tls"
        ? `${n} connect${n === 1 ? "" : "s"} to an HTTPS proxy named by the hosts asked of ` +
          "it on the TLS connection whose first request followed, the process's last connect " +
          "with no socket of its own before it (a TLS connection names no socket): " +
          `${r.examples}`
        : `${n} loopback connect${n === 1 ? "" : "s"} to an HTTP proxy named by the ` +
          "hosts of the process's next connection to a proxy, not by " +
          `${n === 1 ? "its" : "their"} own connection (no traced socket of the same process ` +
          `and descriptor carried one): ${r.examples}`,
      exchange_id: null,
    });
  }
}

/**
 * One `problems` row per recording that shows more homes than the detectors guard
 * (`homes_capped.sql`): the `~/` paths of those left out are not sensitive or persistence
 * paths to them.
 */
async function homesCapped(b: Build): Promise<void> {
  const file = "homes_capped.sql";
  const rows = await problemQuery(b, "homes_capped", "the homes shown could not be counted");
  for (const r of rows) {
    b.problems.push({
      recording: String(r.recording),
      source: file,
      kind: "truncated",
      message: `${r.n} directories look like homes (a process opened or looked for a ` +
        "`.gitconfig`, a shell's start-up or history file or an agent's account file in " +
        "each); the detectors take the 64 that showed the most such files for homes, so " +
        `the \`~/\` paths (sensitive, persistence) of the others are not judged as such: ${r.examples}`,
      exchange_id: null,
    });
  }
}

/**
 * The rows of problem query `name` (DETECT_PROBLEM_QUERIES), a step of its own so that a
 * rebuild replaces the problems an earlier one left; none, and a `problems` row saying
 * `failure`, when it fails.
 */
async function problemQuery(
  b: Build,
  name: typeof DETECT_PROBLEM_QUERIES[number],
  failure: string,
): Promise<Record<string, unknown>[]> {
  const file = `${name}.sql`;
  b.steps.add(file);
  try {
    return await queryRows(b.c, readSql(SQL_DIR, name));
  } catch (e) {
    b.problem(file, "sql", `${failure} (${e})`);
    return [];
  }
}
