/**
 * What outlives a new analysis of a recording. `labels` (the observer LLM's verdicts, `deno
 * task label`: paid answers) and the tables a user wrote with `sql --write` are no part of
 * what `analyze` builds from the recording's files, so a rebuild (`analyze` again, a new
 * revision of the analysis, a capture ended since, `--rebuild`) would drop them with the
 * database it replaces, with nothing said. The build copies the labels from the database
 * being replaced, and the tables it has that the build does not make when that database is of
 * this revision (of another, such a table may be one that revision made and this one no longer
 * does: named in a `problems` row, not kept). Labels there that cannot be copied (another
 * schema) are a `problems` row too, saying how to make them again. A database that cannot be
 * opened at all (damaged) has nothing to keep.
 */
import type { DuckDBConnection } from "@duckdb/node-api";
import { ddl, quoteIdent } from "../kit/columns.ts";
import { errorLine } from "../kit/cli.ts";
import { isFile } from "../kit/files.ts";
import { queryRows, runSql, tableNames } from "../kit/sql_runner.ts";
import { ANALYSIS_REVISION, revisionOfStamp } from "./analysis_version.ts";
import { labelsTable } from "./observer/schema.ts";
import { attachReadOnly } from "./duckdb_open.ts";
import { sqlText } from "./sql_files.ts";

/**
 * Copies the labels of the database at `old` (when it has any) into the one `c` builds, under
 * `recording` (a directory renamed since keeps its verdicts under its new name), and the tables
 * a user added to it (`keptTables`). Returns the problem lines of what could not be kept.
 */
export async function keepLabels(
  c: DuckDBConnection,
  old: string,
  recording: string,
): Promise<string[]> {
  if (!isFile(old)) return [];
  try {
    await attachReadOnly(c, old, "kept");
  } catch {
    // not a database that can be read (damaged: replaced for that, and said so by whoever
    // asked for the rebuild): whether it held labels is not known, nothing of it can be kept
    return [];
  }
  try {
    const out: string[] = [];
    try {
      // the database being built has no labels table: one listed is the one attached
      if ((await tableNames(c)).has(labelsTable.name)) {
        await c.run(ddl(labelsTable));
        await runSql(c, sqlText("labels_kept"), { recording });
      }
    } catch (e) {
      out.push(notKept(e));
    }
    return [...out, ...await keptTables(c)];
  } finally {
    await c.run("DETACH kept").catch(() => {});
  }
}

/**
 * Copies the tables of the attached database being replaced that the new one does not make,
 * when it is of this revision (a user's: `sql --write`); of another revision, names them in
 * the problem line returned instead.
 */
async function keptTables(c: DuckDBConnection): Promise<string[]> {
  const rows = await queryRows(c, sqlText("kept_tables"));
  if (!rows.length) return [];
  const names = rows.map((r) => String(r.table_name));
  const revision = revisionOfStamp(rows[0].stamp);
  if (revision !== ANALYSIS_REVISION) {
    return [
      `tables of the analysis replaced (${
        revision === null ? "unstamped" : `revision ${revision}`
      }) that this one does not make are not kept: ${names.join(", ")} (one a user wrote ` +
      "with sql --write is written again)",
    ];
  }
  const out: string[] = [];
  for (const table of names) {
    try {
      // a user's table is no declared one (withNames): its name quoted here, as sql.ts makes
      // its views
      await c.run(`CREATE TABLE ${quoteIdent(table)} AS SELECT * FROM kept.${quoteIdent(table)}`);
    } catch (e) {
      out.push(`table ${table} of the analysis replaced could not be kept (${errorLine(e)})`);
    }
  }
  return out;
}

const notKept = (e: unknown) =>
  `the observer's labels of the analysis replaced could not be kept (${errorLine(e)}): ` +
  "deno task label makes them again (from its cache, at no cost, when labelled with it)";
