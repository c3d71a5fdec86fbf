/**
 * The observer's labels outlive a new analysis of their recording. `labels` (the observer
 * LLM's verdicts, `deno task label`: paid answers) is no part of what `analyze` builds from
 * the recording's files, so a rebuild (`analyze` again, a new revision of the analysis, a
 * capture ended since, `--rebuild`) would drop it with the database it replaces, with nothing
 * said. The build copies it from the database being replaced; when they are there but cannot
 * be copied (another schema), a `problems` row says they are not kept and how to make them
 * again. A database that cannot be opened at all (damaged) has nothing to keep.
 */
import type { DuckDBConnection } from "@duckdb/node-api";
import { ddl, sqlString } from "../kit/columns.ts";
import { errorLine } from "../kit/cli.ts";
import { isFile } from "../kit/files.ts";
import { runSql, tableNames } from "../kit/sql_runner.ts";
import { labelsTable } from "./observer/schema.ts";
import { sqlText } from "./sql_files.ts";

/**
 * Copies the labels of the database at `old` (when it has any) into the one `c` builds, under
 * `recording` (a directory renamed since keeps its verdicts under its new name). Returns a
 * problem line when `old` exists but its labels could not be kept, else null.
 */
export async function keepLabels(
  c: DuckDBConnection,
  old: string,
  recording: string,
): Promise<string | null> {
  if (!isFile(old)) return null;
  try {
    // ATTACH takes no parameter: the path as a quoted string literal
    await c.run(`ATTACH ${sqlString(old)} AS kept (READ_ONLY)`);
  } catch {
    // not a database that can be read (damaged: replaced for that, and said so by whoever
    // asked for the rebuild): whether it held labels is not known, nothing of it can be kept
    return null;
  }
  try {
    // the database being built has no labels table: one listed is the one attached
    if (!(await tableNames(c)).has(labelsTable.name)) return null;
    await c.run(ddl(labelsTable));
    await runSql(c, sqlText("labels_kept"), { recording });
    return null;
  } catch (e) {
    return notKept(e);
  } finally {
    await c.run("DETACH kept").catch(() => {});
  }
}

const notKept = (e: unknown) =>
  `the observer's labels of the analysis replaced could not be kept (${errorLine(e)}): ` +
  "deno task label makes them again (from its cache, at no cost, when labelled with it)";
