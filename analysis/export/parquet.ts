/**
 * Parquet export of one analysed recording: every table and event view of its
 * `analysis.duckdb` written by DuckDB's own Parquet writer (ZSTD), one file per table, in a
 * hive-partitioned tree that many hosts can fill side by side:
 *
 *   OUT/TABLE/capture_host=HOST/capture_date=YYYY-MM-DD/RECORDING.parquet
 *
 * `capture_host` is the host the capture ran on (manifest `host`), `capture_date` the UTC day
 * it started. Columns are the table's declaration, in order and with its types (`recording`
 * added first where a table has none), plus, beside every time column `X_ns` (ns since the
 * epoch), `X_at` as a Parquet timestamp in nanoseconds holding the same UTC instant.
 *
 * Files are written under a hidden temporary name and renamed into place, so a reader never
 * sees half a file and exporting again replaces a recording's files whole; mode 0600 (they
 * hold prompts). The statements are `sql/export_*.sql` with their values bound, but two:
 * `ATTACH` takes no parameter (the database's path is written as a quoted string literal,
 * quotes doubled: duckdb_open.ts attachReadOnly, through analysed_db.ts withAttached), and the `COPY` of a table is made here, one expression per exported column
 * (`X_at` beside each `X_ns`, the declared type), from quoted names; its file is bound.
 */
import { dirname, join } from "node:path";
import type { DuckDBConnection } from "@duckdb/node-api";
import { withAttached } from "../analysed_db.ts";
import { quoteIdent, sqlType } from "../../kit/columns.ts";
import { errorLine, removeOnStop } from "../../kit/cli.ts";
import { queryRows, readSql, runSql } from "../../kit/sql_runner.ts";
import { EXPORT_NAMES, exportedColumns, exportTable, PARTITION_KEYS } from "./tables.ts";

/** The export's statements, `sql/NAME.sql`. */
export const EXPORT_SQL_DIR = new URL("./sql/", import.meta.url);
const sql = (name: string) => readSql(EXPORT_SQL_DIR, name);

/** Marks a directory as a Sightline Parquet export (written at its top). */
export const EXPORT_MARKER = "sightline-export.json";

/**
 * The key, in the Parquet key-value metadata of a recording's `recordings` file, of the tables
 * its export wrote (a JSON object, table -> rows; a table that failed to write has null): so a
 * reader tells a table this export never had (made by an older Sightline) from a file lost.
 * That file is written last, so a recording whose export was cut short lacks it.
 */
export const TABLES_KEY = "sightline_tables";

export interface WrittenFile {
  table: string;
  path: string;
  rows: number;
}

export interface ParquetExport {
  recording: string;
  host: string;
  date: string;
  files: WrittenFile[];
  /** tables that could not be written, one line each */
  problems: string[];
}

/** A partition value or file name safe in a path (percent-encoded like a URL component). */
export function pathValue(s: string): string {
  const v = encodeURIComponent(s);
  return v === "." || v === ".." ? encodeURIComponent(v).replaceAll(".", "%2E") : v;
}

/** The UTC day of a time in ns since the epoch. */
export function utcDate(ns: bigint): string {
  return new Date(Number(ns / 1_000_000n)).toISOString().slice(0, 10);
}

/** Where a table of a recording goes under `out`. */
export function partitionPath(
  out: string,
  table: string,
  host: string,
  date: string,
  recording: string,
): string {
  const [h, d] = PARTITION_KEYS;
  return join(
    out,
    table,
    `${h}=${pathValue(host)}`,
    `${d}=${date}`,
    `${pathValue(recording)}.parquet`,
  );
}

/** The recording's name, host and capture date, from its `recordings` row (or its events). */
async function identity(c: DuckDBConnection, fallbackName: string) {
  const rec = await queryRows(c, sql("export_identity"));
  const recording = String(rec[0]?.recording ?? fallbackName);
  const host = rec[0]?.host ? String(rec[0].host) : "unknown";
  let start = rec[0]?.started_ns as bigint | null | undefined;
  if (start === null || start === undefined) {
    const first = await queryRows(c, sql("export_first_event"));
    start = first[0]?.t as bigint | null;
  }
  // no start time and no events at all: the day of the export
  const date = start === null || start === undefined
    ? new Date().toISOString().slice(0, 10)
    : utcDate(start);
  const started = rec[0]?.started_ns === null || rec[0]?.started_ns === undefined
    ? null
    : BigInt(rec[0].started_ns as bigint);
  return { recording, host, date, started };
}

/**
 * Throws if `out` already holds another recording with this one's name (another host, another
 * start): its files would be overwritten, or, in another partition, read back by `sql` as one
 * recording with this one, their ids mixed. The same recording exported again is fine.
 */
async function refuseNameClash(
  c: DuckDBConnection,
  out: string,
  id: { recording: string; host: string; started: bigint | null },
): Promise<void> {
  const files: string[] = [];
  const walk = (dir: string, depth: number) => {
    let entries: Deno.DirEntry[];
    try {
      entries = [...Deno.readDirSync(dir)];
    } catch {
      return; // nothing exported there yet
    }
    for (const e of entries) {
      const path = join(dir, e.name);
      if (depth < 2 && e.isDirectory) walk(path, depth + 1);
      else if (depth === 2 && e.isFile && e.name === `${id.recording}.parquet`) files.push(path);
    }
  };
  walk(join(out, "recordings"), 0);
  if (!files.length) return;
  let rows: Record<string, unknown>[];
  try {
    rows = await queryRows(c, sql("export_exported_recordings"), { files });
  } catch {
    return; // a file that cannot be read as ours: nothing to compare (sql will say so)
  }
  for (const r of rows) {
    const host = r.host ? String(r.host) : "unknown";
    const started = r.started_ns === null || r.started_ns === undefined
      ? null
      : BigInt(r.started_ns as bigint);
    if (host !== id.host || started !== id.started) {
      throw new Error(
        `${out} already holds another recording named ${id.recording} (host ${host}, ` +
          `started ${
            started === null ? "unknown" : new Date(Number(started / 1_000_000n)).toISOString()
          }): ` +
          "export this one from a directory of another name",
      );
    }
  }
}

/** The SELECT list that gives table `name` its exported columns. */
async function selectList(c: DuckDBConnection, name: string): Promise<string[]> {
  const def = exportTable(name);
  const cols: { name: string; type: string; cast: boolean }[] = def
    ? def.columns.map((col) => ({ name: col.name, type: sqlType(col.type), cast: true }))
    : (await queryRows(c, sql("export_view_columns"), { name })).map((r) => ({
      name: String(r.column_name),
      type: String(r.column_type),
      cast: false,
    }));
  const declared = new Set(cols.map((col) => col.name));
  const cast = new Set(cols.filter((col) => col.cast).map((col) => col.name));
  return exportedColumns(cols).map((col) => {
    const id = quoteIdent(col.name);
    if (!declared.has(col.name) && col.name === "recording") {
      return `(SELECT recording FROM export_label) AS recording`;
    }
    if (col.timeOf) return `make_timestamp_ns(${quoteIdent(col.timeOf)}) AS ${id}`;
    return cast.has(col.name) ? `CAST(${id} AS ${col.type}) AS ${id}` : id;
  });
}

/**
 * Writes the tables of `db` (an `analysis.duckdb`) under `out`. Tables the database does not
 * hold (e.g. `labels` before any labelling) are left out.
 */
export async function exportParquet(db: string, out: string): Promise<ParquetExport> {
  return await withAttached(db, async (c) => {
    const id = await identity(c, dirname(db).split("/").pop() ?? "recording");
    await runSql(c, sql("export_label"), { recording: id.recording }, "export_label.sql");
    const present = new Set(
      (await queryRows(c, sql("export_present"))).map((r) => String(r.name)),
    );
    await refuseNameClash(c, out, id);
    await Deno.mkdir(out, { recursive: true, mode: 0o700 });
    await writeMarker(out);
    const { recording, host, date } = id;
    const result: ParquetExport = { recording, host, date, files: [], problems: [] };
    // the recordings table last, listing what was written before it (TABLES_KEY)
    const written: Record<string, number | null> = {};
    const order = [...EXPORT_NAMES.filter((n) => n !== "recordings"), "recordings"];
    for (const name of order) {
      if (!present.has(name)) continue;
      const last = name === "recordings";
      const path = partitionPath(out, name, id.host, id.date, id.recording);
      const tmp = join(dirname(path), `.${Deno.pid}.${path.split("/").pop()}.tmp`);
      const forget = removeOnStop(tmp);
      try {
        await Deno.mkdir(dirname(path), { recursive: true, mode: 0o700 });
        const list = await selectList(c, name);
        const copied = await queryRows(
          c,
          `COPY (SELECT ${list.join(", ")} FROM src.${quoteIdent(name)}) TO $file ` +
            `(FORMAT parquet, COMPRESSION zstd${
              last ? `, KV_METADATA {${TABLES_KEY}: $tables}` : ""
            })`,
          last ? { file: tmp, tables: JSON.stringify(written) } : { file: tmp },
        );
        await Deno.chmod(tmp, 0o600);
        await Deno.rename(tmp, path);
        const rows = Number(Object.values(copied[0] ?? {})[0]);
        result.files.push({ table: name, path, rows });
        written[name] = rows;
      } catch (e) {
        await Deno.remove(tmp).catch(() => {});
        result.problems.push(`${name}: ${errorLine(e)}`);
        written[name] = null;
      } finally {
        forget();
      }
    }
    return result;
  });
}

/** The marker at the top of an export: what it is, how it is laid out. */
async function writeMarker(out: string): Promise<void> {
  const marker = {
    format: "sightline-parquet",
    format_version: 1,
    layout: `TABLE/${PARTITION_KEYS[0]}=HOST/${PARTITION_KEYS[1]}=YYYY-MM-DD/RECORDING.parquet`,
    time_columns: "every X_ns (BIGINT, ns since the epoch) has X_at beside it (TIMESTAMP_NS, UTC)",
  };
  const path = join(out, EXPORT_MARKER);
  const text = JSON.stringify(marker, null, 2) + "\n";
  try {
    if (Deno.readTextFileSync(path) === text) return;
  } catch { /* not there yet */ }
  const tmp = `${path}.${Deno.pid}.tmp`;
  await Deno.writeTextFile(tmp, text, { mode: 0o600 });
  await Deno.rename(tmp, path);
}
