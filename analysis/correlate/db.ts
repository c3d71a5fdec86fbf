/**
 * Opening an analysed recording's database: `analysis.duckdb` beside the recording, built by
 * the analysis first when it is missing (or when asked to rebuild it).
 */
import { existsSync } from "node:fs";
import { join } from "node:path";
import { type DuckDBConnection, DuckDBInstance } from "@duckdb/node-api";
import { analyzeRecording, DB_FILE } from "../analyze.ts";
import { loadPrices } from "../pricing.ts";

/** The database path of a recording directory (or the path itself if it is a database). */
export function dbPathOf(recording: string): string {
  return recording.endsWith(".duckdb") ? recording : join(recording, DB_FILE);
}

/** Makes sure the recording is analysed; returns its database path. */
export async function ensureAnalysed(
  recording: string,
  opts: { rebuild?: boolean; quiet?: boolean; err?: (s: string) => void } = {},
): Promise<string> {
  const db = dbPathOf(recording);
  if (recording.endsWith(".duckdb")) {
    if (!existsSync(db)) throw new Error(`${db}: no such database`);
    return db;
  }
  if (opts.rebuild || !existsSync(db)) {
    await analyzeRecording(recording, loadPrices(), { quiet: opts.quiet ?? true, err: opts.err });
  }
  return db;
}

/** Runs `fn` with a connection to the database at `path`, closing it afterwards. */
export async function withDb<T>(
  path: string,
  fn: (c: DuckDBConnection) => Promise<T>,
  opts: { readOnly?: boolean } = {},
): Promise<T> {
  const instance = await DuckDBInstance.create(
    path,
    opts.readOnly ? { access_mode: "READ_ONLY" } : undefined,
  );
  const c = await instance.connect();
  try {
    return await fn(c);
  } finally {
    c.closeSync();
    instance.closeSync();
  }
}
