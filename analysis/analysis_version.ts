/**
 * The revision of the analysis that built an `analysis.duckdb`, stamped into the database (the
 * comment of its `recordings` table: no table or column of its own, so the documented schema
 * and the exported tables stay as they are). A database whose stamp is not this one — made by
 * an older or newer Sightline, or by anything else — is built again from its recording by the
 * commands that open it (`analysed_db.ts` `staleAnalysis`), and refused in one line when no
 * recording is beside it. Raise ANALYSIS_REVISION whenever what the analysis writes changes.
 */
import type { DuckDBConnection } from "@duckdb/node-api";
import { queryRows } from "../kit/sql_runner.ts";
import { sqlText } from "./sql_files.ts";

export const ANALYSIS_REVISION = 26;

const PREFIX = "sightline analysis revision ";

/** Stamps the database being built (its `recordings` table exists). */
export async function stampRevision(c: DuckDBConnection): Promise<void> {
  // COMMENT takes no parameter; the text is ours, a constant
  await c.run(`COMMENT ON TABLE recordings IS '${PREFIX}${ANALYSIS_REVISION}'`);
}

/** The revision a database was stamped with, or null (none: an older Sightline, or not ours). */
export async function revisionOf(c: DuckDBConnection): Promise<number | null> {
  const rows = await queryRows(c, sqlText("analysis_revision"));
  return revisionOfStamp(rows[0]?.comment);
}

/** The revision a `recordings` table's comment names, or null (none, or not ours). */
export function revisionOfStamp(comment: unknown): number | null {
  const m = /^sightline analysis revision (\d+)$/.exec(String(comment ?? ""));
  return m ? Number(m[1]) : null;
}

/** Why a database of `revision` is not this analysis' own, or null when it is. */
export function revisionMismatch(revision: number | null): string | null {
  if (revision === ANALYSIS_REVISION) return null;
  return revision === null
    ? `its analysis was made by an older Sightline (no revision stamp; this one writes ` +
      `revision ${ANALYSIS_REVISION})`
    : `its analysis is revision ${revision}, this Sightline writes revision ${ANALYSIS_REVISION}`;
}
