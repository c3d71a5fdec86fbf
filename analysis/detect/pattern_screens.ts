/**
 * The pattern screens: each list of path patterns (`sensitive_patterns`, and with
 * `persistence_patterns` the guarded paths) as one alternation of their regexes, bound as a
 * constant so DuckDB compiles it once (a regex taken from a table column is compiled again
 * per row: 30 homes' patterns on 235K paths took 77-80 s that way, 0.1 s this way). The `~/`
 * patterns' rests are also one alternation of a path under `/root/`: a path under a home the
 * recording shows (`recording_homes` in sql/detect_macros.sql) is matched as `/root/<rest>`
 * with it, which holds exactly when a `~/` pattern names the path under that home.
 */
import type { DuckDBConnection } from "@duckdb/node-api";
import { queryRows, readSql } from "../../kit/sql_runner.ts";

/** A regex no path matches: the alternation of no pattern. */
const NOTHING = "^$.";

/** Patterns' regexes (each anchored) as one regex matching what any of them matches. */
export function alternation(regexes: readonly string[]): string {
  return regexes.length ? regexes.map((r) => `(${r})`).join("|") : NOTHING;
}

/**
 * `~/` patterns' rests (`home_regex`: `^\.ssh/.*$`, relative to a home) as one regex of a path
 * under /root: `/root/<rest>` matches it exactly when a rest matches `<rest>`.
 */
export function homeAlternation(homeRegexes: readonly (string | null)[]): string {
  const rests = homeRegexes.filter((r): r is string => r !== null).map((r) => r.slice(1));
  return rests.length ? `^/root/(${rests.map((r) => `(${r})`).join("|")})` : NOTHING;
}

/** The screens bound into the SQL that judges paths (`$sensitive_any`, `$guard_any`, ...). */
export interface PatternScreens {
  sensitive_any: string;
  sensitive_home_any: string;
  guard_any: string;
  guard_home_any: string;
}

/** The screens from pattern lists (sensitive, persistence) as loaded. */
export function patternScreens(
  sensitive: readonly { regex: string; home_regex: string | null }[],
  persistence: readonly { regex: string; home_regex: string | null }[],
): PatternScreens {
  const all = [...sensitive, ...persistence];
  return {
    sensitive_any: alternation(sensitive.map((p) => p.regex)),
    sensitive_home_any: homeAlternation(sensitive.map((p) => p.home_regex)),
    guard_any: alternation(all.map((p) => p.regex)),
    guard_home_any: homeAlternation(all.map((p) => p.home_regex)),
  };
}

/** The query that reads the pattern tables' regexes for the screens (sql/pattern_regexes.sql). */
export const PATTERN_REGEXES = "pattern_regexes";

/** The screens of the pattern tables an analysed database holds (loaded by the detectors). */
export async function readPatternScreens(c: DuckDBConnection): Promise<PatternScreens> {
  const rows = await queryRows(c, readSql(new URL("./sql/", import.meta.url), PATTERN_REGEXES));
  const of = (kind: string) =>
    rows.filter((r) => r.kind === kind).map((r) => ({
      regex: String(r.regex),
      home_regex: r.home_regex === null ? null : String(r.home_regex),
    }));
  return patternScreens(of("sensitive"), of("persistence"));
}
