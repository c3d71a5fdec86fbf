/**
 * `deno task sql RECORDING... -- "SELECT ..."`: runs SQL over the analysed tables of one or many
 * recordings at once. Each recording's `analysis.duckdb` (built first if missing) is attached
 * read-only, so an exploratory query cannot change an analysis, and every table and view is
 * offered under its own name as the union of all recordings (their `recording` column tells
 * them apart; recordings whose directory names collide are labelled with the path given
 * instead). With `write`, the one recording given is opened for writing instead, its tables
 * under their own names. Prints a table, CSV or JSON (CSV and JSON as the rows come, a chunk at a time).
 *
 * A Parquet export (`deno task export --format parquet`, local or an object store mounted as a
 * directory) can stand in for recordings: its tables join the same views (`export/parquet_source.ts`).
 *
 * `ATTACH` and `read_parquet` take no parameters, so paths are written as quoted string literals
 * (quotes doubled: duckdb_open.ts attachReadOnly, export/parquet_source.ts). Labels are bound
 * values.
 */
import { dirname, join, relative, resolve } from "node:path";
import { quoteIdent } from "../kit/columns.ts";
import { analyzeRecording, DB_FILE } from "./analyze.ts";
import {
  analysisOutdated,
  damageAt,
  DAMAGED_DB,
  holdsRecording,
  withDb,
  withMemoryDb,
} from "./analysed_db.ts";
import { errorLine, onceEach, usageError } from "../kit/cli.ts";
import { isFile } from "../kit/files.ts";
import { loadPrices, pricesNotApplied } from "./pricing.ts";
import { attachReadOnly, memoryAdvice } from "./duckdb_open.ts";
import type { DuckDBConnection } from "@duckdb/node-api";
import { ALL_TABLES, VIEWS } from "./schema.ts";
import { CORRELATE_TABLES } from "./correlate/schema.ts";
import { DETECT_INPUT_TABLES, DETECT_TABLES } from "./detect/schema.ts";
import { MCP_TABLES } from "./mcp/schema.ts";
import { labelsTable } from "./observer/schema.ts";
import { formatResult, type OutputFormat, streamResult } from "./table_output.ts";
import { type SqlName, sqlText } from "./sql_files.ts";
import { queryRows, runSql } from "../kit/sql_runner.ts";
import {
  emptyExportedTable,
  exportDamage,
  exportedTableLists,
  exportTables,
  isParquetExport,
  listExport,
  missingPartitions,
  parquetScan,
  sameRecordingTwice,
  undecodableFiles,
  unreadableFile,
} from "./export/parquet_source.ts";

export interface SqlOptions {
  recordings: string[];
  query: string;
  format?: OutputFormat;
  /** price table for recordings that must be analysed first */
  prices?: string;
  /** open the (one) recording's database for writing */
  write?: boolean;
  /** DuckDB's memory limit (e.g. `2GB`); the default of duckdb_open.ts when not given */
  memoryLimit?: string;
  out?: (text: string) => void;
  err?: (text: string) => void;
}

const encoder = new TextEncoder();

/** Writes `s` to stdout whole (a write to a pipe may take part of it). */
function writeAll(s: string) {
  const bytes = encoder.encode(s);
  for (let at = 0; at < bytes.length;) at += Deno.stdout.writeSync(bytes.subarray(at));
}

/**
 * DuckDB's words for a write refused: an attached recording is read-only, or a table named by
 * its own name is the view that stacks the recordings' tables ("Can only delete from base
 * table", "... is not an table"): both said with how to write.
 */
const READ_ONLY_WRITE = new RegExp(
  [
    "read-only mode",
    "^Binder Error: Can only (delete from|update) base table",
    "^Catalog Error: \\S+ is not an table",
    "^Binder Error: can only create an index on a base table",
    "^Catalog Error: Existing object \\S+ is of type View, trying to drop type Table",
    "^Catalog Error: Can only modify view with ALTER VIEW",
  ].join("|"),
);

/**
 * Runs the query; returns the exit code (0 ok, 1 nothing to query, the query failed, or the
 * answer leaves out a recording given or an export's missing partition file).
 */
export async function run(opts: SqlOptions): Promise<number> {
  const out = opts.out ?? writeAll;
  const err = opts.err ?? ((s: string) => Deno.stderr.writeSync(encoder.encode(s)));
  if (opts.recordings.length === 0) throw usageError("give at least one recording directory");
  if (!opts.query.trim()) throw usageError("give a query after --");
  if (opts.write && opts.recordings.length !== 1) {
    throw usageError("--write takes exactly one recording");
  }
  onceEach(opts.recordings);
  const format = opts.format ?? "table";
  if (!["table", "csv", "json"].includes(format)) {
    throw usageError(`--format must be table, csv or json, not ${JSON.stringify(format)}`);
  }
  const dbs: { label: string; name: string; path: string }[] = [];
  /** recordings whose files were damaged (missing, unreadable, cut short) */
  let damaged = 0;
  const exports = opts.recordings.filter(isParquetExport);
  // each export's files, listed once: the recordings it holds, the partitions missing, each
  // table's scan and its problems all read this listing
  const listings = exports.map(listExport);
  const listingOf = new Map(listings.map((l) => [l.dir, l]));
  const twice = sameRecordingTwice(opts.recordings.filter((r) => !exports.includes(r)), listings);
  if (twice) throw usageError(twice);
  for (const rec of opts.recordings.filter((r) => !exports.includes(r))) {
    const dir = resolve(rec);
    const db = join(dir, DB_FILE);
    const outdated = isFile(db)
      ? await analysisOutdated(dir, db, { kept: (l) => err(`sql: ${rec}: ${l}\n`), given: rec })
      : null;
    if (!isFile(db) || outdated) {
      if (outdated && !holdsRecording(dir)) {
        err(`sql: ${rec}: ${outdated}, and no recording is beside it to analyse again\n`);
        continue;
      }
      // (a directory holding no recording: the analysis says so in one line, nothing before it)
      if (holdsRecording(dir)) {
        err(
          `sql: ${rec}: ${outdated ?? "not analysed yet"}, analysing${outdated ? " again" : ""}\n`,
        );
      }
      try {
        await analyzeRecording(rec, loadPrices(opts.prices), {
          quiet: true,
          err,
          memoryLimit: opts.memoryLimit,
        });
      } catch (e) {
        err(`sql: ${errorLine(e)}\n`);
        continue;
      }
    } else if (opts.prices !== undefined) err(`sql: ${rec}: ${pricesNotApplied(opts.prices)}\n`);
    // what it lost, every time: an answer over a damaged recording is partial
    const damage = await damageAt(db, rec);
    if (damage) err(`sql: ${rec}: ${damage.line}\n`);
    if (damage?.files.length) damaged++;
    dbs.push({ label: rec, name: dir.split("/").pop()!, path: db });
  }
  if (dbs.length === 0 && exports.length === 0) return 1;
  // The answer is over what could be read; a recording or a partition file left out makes it
  // partial: said, exit 1.
  const skipped = opts.recordings.length - exports.length - dbs.length;
  if (skipped) {
    err(
      `sql: the answer leaves out ${skipped} of ${opts.recordings.length} ` +
        `recording${opts.recordings.length === 1 ? "" : "s"} given\n`,
    );
  }
  let partial = skipped > 0 || damaged > 0;
  if (opts.write && dbs.length === 0) throw usageError("--write takes a recording, not an export");
  // the one recording given, opened for writing; else a private in-memory database the
  // recordings are attached to read-only: under the default memory limit, spilling beside the
  // first recording (analysed_db.ts, duckdb_open.ts)
  const { memoryLimit } = opts;
  const over = <T>(fn: (c: DuckDBConnection) => Promise<T>) =>
    opts.write ? withDb(dbs[0].path, fn, { memoryLimit }) : withMemoryDb(fn, {
      spillIn: dbs.length ? dirname(dbs[0].path) : resolve(exports[0]),
      memoryLimit,
    });
  return await over(async (c) => {
    /** tables with a partition file missing in an export (some or all of their files), or that
     * an exported recording never had: there, empty for it, rather than unknown to the query */
    const lostTables = new Set<string>();
    for (const l of listings) {
      const gaps = missingPartitions(l, await exportedTableLists(c, l));
      for (const m of [...gaps.missing, ...gaps.neverHad]) lostTables.add(m.table);
      const { missing, neverHad } = gaps;
      if (neverHad.length) {
        const tables = [...new Set(neverHad.map((m) => m.table))];
        const recs = new Set(neverHad.map((m) => m.file)).size;
        err(
          `sql: ${l.dir}: ${recs} recording${recs === 1 ? " was" : "s were"} exported by an ` +
            `older Sightline without ${tables.join(", ")}: ${
              tables.length === 1 ? "that table is" : "those tables are"
            } empty for ${recs === 1 ? "it" : "them"}\n`,
        );
      }
      if (!missing.length) continue;
      partial = true;
      const shown = missing.slice(0, 3).map((m) => `${m.table}/${m.file}`).join(", ");
      const more = missing.length > 3 ? ` and ${missing.length - 3} more` : "";
      const why = gaps.unrecorded
        ? " (exported before exports listed their tables, a recording's export may never have " +
          "had a table this Sightline exports)"
        : "";
      err(
        `sql: ${l.dir}: ${missing.length} partition file${missing.length === 1 ? "" : "s"} ` +
          `missing (${shown}${more}): the answer leaves their rows out${why}\n`,
      );
    }
    // Export files DuckDB cannot read (cut short, not yet synced, not Parquet): each named once
    // and left out, the answer covering the rest (partial), as for a partition file missing.
    const skip = new Set<string>();
    const sayUnreadable = (dir: string, file: string, why: string, then: string) =>
      err(`sql: ${dir}: ${relative(resolve(dir), file)} cannot be read (${why}): ${then}\n`);
    // (a file DuckDB's words do not name is found by reading table `table`'s files one by one)
    const leaveOut = async (e: unknown, dirs: string[], table: string): Promise<boolean> => {
      const named = unreadableFile(errorLine(e), dirs);
      const found = named
        ? [{ file: named, why: errorLine(e) }]
        : await undecodableFiles(c, dirs.map((d) => listingOf.get(d)!), skip, table)
          .catch(() => []);
      const fresh = found.filter((f) => !skip.has(f.file));
      for (const { file, why } of fresh) {
        skip.add(file);
        partial = true;
        const dir = dirs.find((d) => file.startsWith(resolve(d) + "/"))!;
        sayUnreadable(dir, file, why, "the answer leaves its rows out");
      }
      return fresh.length > 0;
    };
    // what each exported recording lost, as for a recording directory: a line each, and an
    // answer over one whose files were damaged is partial
    for (const dir of exports) {
      for (;;) {
        try {
          for (const { recording, damage } of await exportDamage(c, listingOf.get(dir)!, skip)) {
            err(`sql: ${dir}: ${recording}: ${damage.line}\n`);
            if (damage.files.length) partial = true;
          }
          break;
        } catch (e) {
          if (await leaveOut(e, [dir], "problems")) continue;
          err(`sql: ${dir}: its problems table could not be read: ${errorLine(e)}\n`);
          partial = true;
          break;
        }
      }
    }
    // Every statement of the query runs in turn and its answer is printed (a blank line between
    // two), as DuckDB's shell does; a failing one ends it with one line naming it.
    const answer = async () => {
      let n = 0;
      let count = 1;
      try {
        const statements = await c.extractStatements(opts.query).catch((e) => {
          // no statement at all (only comments or semicolons): the bindings fail to say why
          if (/^Failed to extract/.test(errorLine(e))) throw e;
          throw new Error("the query holds no SQL statement, only comments or semicolons");
        });
        count = statements.count;
        for (n = 0; n < count; n++) {
          const prepared = await statements.prepare(n);
          try {
            if (format === "table") {
              // aligned columns need every row first
              const r = await prepared.runAndReadAll();
              if (n > 0) out("\n");
              out(formatResult({ columns: r.columnNames(), rows: r.getRows() }, format));
            } else {
              // CSV and JSON as the rows come, a chunk (2048 rows) at a time: an answer of
              // millions of rows is never held whole (a failure midway leaves what was written)
              const r = await prepared.stream();
              if (n > 0) out("\n");
              await streamResult(r.columnNames(), r.yieldRows(), format, out);
            }
          } finally {
            prepared.destroySync();
          }
        }
        return partial ? 1 : 0;
      } catch (e) {
        const msg = memoryAdvice(
          errorLine(e).replace(/^Failed to extract statements: /, ""),
          opts.memoryLimit,
        );
        const why = READ_ONLY_WRITE.test(msg)
          ? " (recordings are opened read-only; --write opens one for writing)"
          : DAMAGED_DB.test(msg)
          ? " (an analysis.duckdb is made again from its recording by deno task analyze RECORDING)"
          : "";
        err(`sql: ${count > 1 ? `statement ${n + 1}: ` : ""}${msg}${why}\n`);
        // a damaged page of an export file fails the query in words that name no file: which
        // files, a line each, so that the user can set them aside or export them again
        if (exports.length && !unreadableFile(msg, exports)) {
          for (const bad of await undecodableFiles(c, listings, skip).catch(() => [])) {
            sayUnreadable(
              bad.dir,
              bad.file,
              bad.why,
              "move it aside or export its recording again",
            );
          }
        }
        return 1;
      }
    };
    if (opts.write) return await answer();
    const names = dbs.map((d) => d.name);
    const relabel = names.some((n, i) => names.indexOf(n) !== i);
    // the shared rules (changes_files, ...) for the user's queries too
    await c.run(sqlText("macros"));
    await c.run(sqlText("stack_labels"));
    for (let i = 0; i < dbs.length; i++) {
      await attachReadOnly(c, dbs[i].path, `r${i}`);
      await runSql(c, sqlText("stack_label"), {
        i,
        label: relabel ? dbs[i].label : dbs[i].name,
      });
    }
    // the analysis tables, plus correlation/MCP/detection/label tables present in every recording
    const extra = [
      ...CORRELATE_TABLES,
      ...MCP_TABLES,
      ...DETECT_INPUT_TABLES,
      ...DETECT_TABLES,
      labelsTable,
    ].map((t) => t.name);
    const present = await queryRows(c, sqlText("stack_tables_everywhere"), { n: dbs.length });
    const everywhere = new Set(present.map((r) => String(r.table_name)));
    const tables = dbs.length === 0 ? [] : [
      ...ALL_TABLES.map((t) => t.name),
      ...VIEWS.map((v) => v.name),
      ...extra.filter((n) => everywhere.has(n)),
    ];
    const inDbs = new Set(tables);
    const exported = new Map(listings.map((l) => [l.dir, new Set(exportTables(l))]));
    for (const set of exported.values()) {
      for (const t of set) if (!tables.includes(t)) tables.push(t);
    }
    // a table an export lost every file of (said above, missingPartitions) is there, empty,
    // rather than unknown to the query
    for (const t of lostTables) if (!tables.includes(t)) tables.push(t);
    const withRecording = await queryRows(c, sqlText("stack_tables_with_recording"));
    const hasRecording = new Set(withRecording.map((r) => String(r.table_name)));
    const views = new Set(VIEWS.map((v) => v.name));
    for (const name of tables) {
      if (views.has(name)) continue;
      const parts = (inDbs.has(name) ? dbs : []).map((_, i) => {
        const from = `${quoteIdent(`r${i}`)}.${quoteIdent(name)}`;
        const label = `(SELECT label FROM recording_labels WHERE i = ${i})`;
        if (!hasRecording.has(name)) return `SELECT ${label} AS recording, * FROM ${from}`;
        return relabel
          ? `SELECT * REPLACE (${label} AS recording) FROM ${from}`
          : `SELECT * FROM ${from}`;
      });
      const dirs = exports.filter((d) => exported.get(d)!.has(name));
      for (;;) {
        const scan = dirs.length
          ? parquetScan(dirs.map((d) => listingOf.get(d)!), name, skip)
          : null;
        const all = scan ? [...parts, `SELECT * FROM ${scan}`] : parts;
        if (!all.length) {
          // every file of it unreadable (each said above): the columns the export gives it, no
          // rows, said once more for the table
          const empty = emptyExportedTable(name);
          if (empty) await c.run(empty);
          // (no file of it at all: said as missing partition files above)
          if (dirs.length) {
            err(
              `sql: ${name}: none of its export files can be read: ` +
                (empty ? "it has no rows here" : "it is left out") + "\n",
            );
          }
          break;
        }
        try {
          // a view's definition holds no parameter: made here from quoted names (and the
          // export's files as string literals, parquetScan). Not TEMP: a temporary object
          // comes first in every name lookup, a recording's own views' (actions) too, which
          // would then read the stacked tables instead of their recording's; a view of this
          // in-memory database's main schema does not, and goes with the connection as well.
          await c.run(`CREATE VIEW ${quoteIdent(name)} AS ${all.join(" UNION ALL BY NAME ")}`);
          break;
        } catch (e) {
          if (!(await leaveOut(e, dirs, name))) throw e;
        }
      }
    }
    // the event views, made again over the stacked tables
    for (const v of VIEWS) {
      if (tables.includes(v.name)) {
        await c.run(sqlText(v.name as SqlName).replace("CREATE VIEW", "CREATE TEMP VIEW"));
      }
    }
    return await answer();
  });
}
