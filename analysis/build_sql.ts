/**
 * The build steps of `sql_files.ts` BUILD_SQL as the analysis runs them: those that read only
 * the raw tables (RAW_BUILD_SQL: processes.sql's working tables) may run on a DuckDB
 * connection of their own while the HTTP parse holds the JS thread (`startRawSteps`: node-api
 * runs a statement off the JS thread, so they take the second core), the others after the
 * parse (`runBuildSql`). Either way the rows and the `problems` rows are the same: a raw step
 * that failed is said as processes.sql's failure was before it was split off (its error line,
 * "processes has no rows from it", at processes.sql's place among the problems), and
 * processes.sql is then not run.
 */
import type { DuckDBConnection, DuckDBInstance } from "@duckdb/node-api";
import { errorLine } from "../kit/cli.ts";
import type { Build } from "./build_steps.ts";
import { processesTable } from "./schema.ts";
import { BUILD_SQL, RAW_BUILD_SQL, sqlText } from "./sql_files.ts";

type RawStep = typeof RAW_BUILD_SQL[number];

/** What the raw steps came to: the error of each that failed. */
export type RawStepErrors = Map<RawStep, unknown>;

/** Runs the raw steps on `c`, one after the other; never throws. */
export async function runRawSteps(c: DuckDBConnection): Promise<RawStepErrors> {
  const errors: RawStepErrors = new Map();
  for (const name of RAW_BUILD_SQL) {
    try {
      await c.run(sqlText(name));
    } catch (e) {
      errors.set(name, e);
    }
  }
  return errors;
}

/**
 * Starts the raw steps on a new connection of `instance` (closed when they end), to run beside
 * what the caller does next; the promise never rejects (a connection that cannot be made is
 * every step's error). The caller awaits it before `runBuildSql` and before closing `instance`.
 */
export async function startRawSteps(instance: DuckDBInstance): Promise<RawStepErrors> {
  let c: DuckDBConnection;
  try {
    c = await instance.connect();
  } catch (e) {
    return new Map(RAW_BUILD_SQL.map((name) => [name, e]));
  }
  try {
    return await runRawSteps(c);
  } finally {
    c.closeSync();
  }
}

/**
 * Runs BUILD_SQL's steps on the build's connection, the raw ones only when `raw` (what
 * `startRawSteps` came to) is not given; processes fills its table, the others make views or
 * fill processes' columns.
 */
export async function runBuildSql(b: Build, raw?: RawStepErrors): Promise<void> {
  const rawErrors = raw ?? await runRawSteps(b.c);
  for (const name of BUILD_SQL) {
    if ((RAW_BUILD_SQL as readonly string[]).includes(name)) continue;
    if (name !== "processes") {
      await b.run(`${name}.sql`, sqlText(name));
      continue;
    }
    const failed = [...rawErrors.values()];
    if (!failed.length) {
      await b.insert(processesTable, "processes.sql", sqlText(name));
      continue;
    }
    // said as b.insert says a failed statement
    b.steps.add("processes.sql");
    b.problem(
      "processes.sql",
      "sql",
      `${errorLine(failed[0])}; ${processesTable.name} has no rows from it`,
    );
  }
}
