/**
 * `deno task sql RECORDING... -- "SELECT ..."`: runs SQL over the analysed tables of one or many
 * recordings at once. Each recording's `analysis.duckdb` (built first if missing) is attached
 * read-only, and every table and view is offered under its own name as the union of all
 * recordings (their `recording` column tells them apart; recordings whose directory names
 * collide are labelled with the path given instead). Prints a table, CSV or JSON.
 *
 * The one place SQL text is built from input: `ATTACH` takes no parameters, so the database
 * path is written as a quoted string literal (quotes doubled). Labels are bound values.
 */
import { join, resolve } from "node:path";
import { DuckDBInstance } from "@duckdb/node-api";
import { quoteIdent } from "../capture/columns.ts";
import { analyzeRecording, DB_FILE, UsageError } from "./analyze.ts";
import { loadPrices } from "./pricing.ts";
import { ALL_TABLES, VIEWS } from "./schema.ts";
import { formatResult, type OutputFormat } from "./table_output.ts";

export interface SqlOptions {
  recordings: string[];
  query: string;
  format?: OutputFormat;
  /** price table for recordings that must be analysed first */
  prices?: string;
  out?: (text: string) => void;
  err?: (text: string) => void;
}

const encoder = new TextEncoder();

function sqlString(s: string): string {
  return `'${s.replaceAll("'", "''")}'`;
}

function exists(path: string): boolean {
  try {
    return Deno.statSync(path).isFile;
  } catch {
    return false;
  }
}

/** Runs the query; returns the exit code (0 ok, 1 nothing to query or the query failed). */
export async function run(opts: SqlOptions): Promise<number> {
  const out = opts.out ?? ((s: string) => Deno.stdout.writeSync(encoder.encode(s)));
  const err = opts.err ?? ((s: string) => Deno.stderr.writeSync(encoder.encode(s)));
  if (opts.recordings.length === 0) throw new UsageError("give at least one recording directory");
  if (!opts.query.trim()) throw new UsageError("give a query after --");
  const format = opts.format ?? "table";
  if (!["table", "csv", "json"].includes(format)) {
    throw new UsageError(`--format must be table, csv or json, not ${JSON.stringify(format)}`);
  }
  const dbs: { label: string; name: string; path: string }[] = [];
  for (const rec of opts.recordings) {
    const dir = resolve(rec);
    const db = join(dir, DB_FILE);
    if (!exists(db)) {
      err(`sql: ${rec}: not analysed yet, analysing\n`);
      try {
        await analyzeRecording(rec, loadPrices(opts.prices), { quiet: true, err });
      } catch (e) {
        err(`sql: ${(e as Error).message.split("\n")[0]}\n`);
        continue;
      }
    }
    dbs.push({ label: rec, name: dir.split("/").pop()!, path: db });
  }
  if (dbs.length === 0) return 1;
  const instance = await DuckDBInstance.create(":memory:");
  const c = await instance.connect();
  try {
    const names = dbs.map((d) => d.name);
    const relabel = names.some((n, i) => names.indexOf(n) !== i);
    await c.run("CREATE TEMP TABLE recording_labels (i INTEGER, label VARCHAR)");
    for (let i = 0; i < dbs.length; i++) {
      await c.run(`ATTACH ${sqlString(dbs[i].path)} AS ${quoteIdent(`r${i}`)} (READ_ONLY)`);
      await c.run("INSERT INTO recording_labels VALUES ($1, $2)", [i, dbs[i].label]);
    }
    for (const name of [...ALL_TABLES.map((t) => t.name), ...VIEWS.map((v) => v.name)]) {
      const parts = dbs.map((_, i) => {
        const from = `${quoteIdent(`r${i}`)}.${quoteIdent(name)}`;
        return relabel
          ? `SELECT * REPLACE ((SELECT label FROM recording_labels WHERE i = ${i}) AS recording) FROM ${from}`
          : `SELECT * FROM ${from}`;
      });
      await c.run(`CREATE TEMP VIEW ${quoteIdent(name)} AS ${parts.join(" UNION ALL BY NAME ")}`);
    }
    let r;
    try {
      r = await c.runAndReadAll(opts.query);
    } catch (e) {
      err(`sql: ${(e as Error).message.split("\n")[0]}\n`);
      return 1;
    }
    out(formatResult({ columns: r.columnNames(), rows: r.getRows() }, format));
    return 0;
  } finally {
    c.closeSync();
    instance.closeSync();
  }
}
