/**
 * DuckDB's API for every module of the project, with DuckDB's native library loaded only after
 * its allocator's setting is made (`duckdb_allocator.ts`: the library reads it once, when it is
 * loaded, so it must be set before anything imports `@duckdb/node-api`'s values). Every DuckDB
 * instance made for a recording's analysis (analyze, sql, reports, lab, export, the benchmarks)
 * therefore runs with it, set in this one place. Import DuckDB's values (`DuckDBInstance`,
 * `listValue`, ...) from here; `import type` from `@duckdb/node-api` loads nothing and stays
 * allowed (duckdb_test.ts checks every module).
 */
import "./duckdb_allocator.ts";
export * from "@duckdb/node-api";
