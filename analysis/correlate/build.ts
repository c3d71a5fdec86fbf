/**
 * Builds the correlation tables in an analysed recording's DuckDB database: creates them from
 * their declarations (replacing earlier ones) and fills them by running `sql/<table>.sql` in
 * build order with the settings bound.
 */
import type { DuckDBConnection } from "@duckdb/node-api";
import { ddl, quoteIdent } from "../../kit/columns.ts";
import { CORRELATE_TABLES } from "./schema.ts";
import { type CorrelateSettings, DEFAULT_SETTINGS, settingsParams } from "./settings.ts";
import { readSql, runSql } from "../../kit/sql_runner.ts";

export const SQL_DIR = new URL("./sql/", import.meta.url);

/** The build steps: one `.sql` per table, in order. */
export const BUILD_ORDER = CORRELATE_TABLES.map((t) => t.name);

/** Creates (or re-creates) the correlation tables and fills them. */
export async function buildCorrelation(
  c: DuckDBConnection,
  settings: CorrelateSettings = DEFAULT_SETTINGS,
): Promise<void> {
  const params = settingsParams(settings);
  for (const def of [...CORRELATE_TABLES].reverse()) {
    await c.run(`DROP TABLE IF EXISTS ${quoteIdent(def.name)}`);
  }
  for (const def of CORRELATE_TABLES) {
    await c.run(ddl(def));
    await runSql(c, readSql(SQL_DIR, def.name), params, `${def.name}.sql`);
  }
}
