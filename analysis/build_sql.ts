/**
 * The build steps of `sql/` (`BUILD_SQL`), run in order once the tables are loaded and parsed:
 * a step that fills a declared table (`processes`, `process_programs`) runs as `Build.insert`
 * (its rows with nulls the declaration forbids set aside), the others (the event views) as
 * `Build.run`. One loop for the analysis and the benchmark that times its steps.
 */
import type { Build } from "./build_steps.ts";
import type { TableDef } from "../kit/columns.ts";
import { processesTable, processProgramsTable } from "./schema.ts";
import { BUILD_SQL, sqlText } from "./sql_files.ts";

/** The build steps that fill a declared table, by step. */
export const BUILD_TABLES: Partial<Record<typeof BUILD_SQL[number], TableDef>> = {
  processes: processesTable,
  process_programs: processProgramsTable,
};

/** Runs every build step into `b`; a step that fails is a problem of `b`, and the rest run. */
export async function runBuildSql(b: Build): Promise<void> {
  for (const name of BUILD_SQL) {
    const def = BUILD_TABLES[name];
    if (def) await b.insert(def, `${name}.sql`, sqlText(name));
    else await b.run(`${name}.sql`, sqlText(name));
  }
}
