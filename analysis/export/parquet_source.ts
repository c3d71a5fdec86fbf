/**
 * Reading a Parquet export back (`deno task sql EXPORT_DIR -- "SELECT ..."`): tells an export
 * directory from a recording, lists the tables it holds, and gives the `read_parquet` scan that
 * offers one table of one or many exports under its own name — with the hive partition columns
 * `capture_host` (VARCHAR) and `capture_date` (DATE) added from the paths, and what each
 * exported recording's analysis said it lost (`exportDamage`, from its `problems` rows). Works
 * the same on a local directory and on an object store mounted as one.
 */
import { basename, join, resolve } from "node:path";
import type { DuckDBConnection } from "@duckdb/node-api";
import { quoteIdent, sqlString, sqlType } from "../../kit/columns.ts";
import { errorLine } from "../../kit/cli.ts";
import { isDir } from "../../kit/files.ts";
import { queryRows, readSql } from "../../kit/sql_runner.ts";
import { type Damage, damageFrom, type ProblemKind } from "../analysed_db.ts";
import { readManifestJson } from "../../recording/manifest.ts";
import { EXPORT_MARKER, EXPORT_SQL_DIR, TABLES_KEY } from "./parquet.ts";
import { EXPORT_NAMES, exportedColumns, exportTable, PARTITION_KEYS } from "./tables.ts";

/**
 * An entry of an export's tree as what it leads to: a symbolic link (a partition file or folder
 * linked in from elsewhere, as a synced or assembled export may have) counts as its target; a
 * link to nothing, or to a folder already on the way down (a loop), as nothing.
 */
function entryKind(
  dir: string,
  e: Deno.DirEntry,
  above: ReadonlySet<string>,
): "file" | "dir" | null {
  if (!e.isSymlink) return e.isFile ? "file" : e.isDirectory ? "dir" : null;
  try {
    const path = join(dir, e.name);
    const s = Deno.statSync(path);
    if (s.isFile) return "file";
    return s.isDirectory && !above.has(Deno.realPathSync(path)) ? "dir" : null;
  } catch {
    return null;
  }
}

/** The folders from the top of a walk down to `dir`, by their real paths (loop guard). */
function downTo(dir: string, above: ReadonlySet<string>): Set<string> {
  try {
    return new Set([...above, Deno.realPathSync(dir)]);
  } catch {
    return new Set(above);
  }
}

/** Whether the tree under `dir` holds a `.parquet` file. */
function holdsParquet(dir: string, above: ReadonlySet<string> = new Set()): boolean {
  let entries: Deno.DirEntry[];
  try {
    entries = [...Deno.readDirSync(dir)];
  } catch {
    return false;
  }
  const here = downTo(dir, above);
  const kinds = entries.map((e) => entryKind(dir, e, here));
  if (
    entries.some((e, i) =>
      kinds[i] === "file" && e.name.endsWith(".parquet") && !e.name.startsWith(".")
    )
  ) return true;
  return entries.some((e, i) => kinds[i] === "dir" && holdsParquet(join(dir, e.name), here));
}

/**
 * An export's files, listed once per `sql` run and shared by everything that reads them (the
 * recordings it holds, the partitions missing, each table's scan, its problems): per table, the
 * `.parquet` files under its folder as paths relative to it (`parquetFiles`), sorted.
 */
export interface ExportListing {
  /** the export as the user named it */
  dir: string;
  /** its absolute path */
  root: string;
  files: ReadonlyMap<string, readonly string[]>;
}

/** Lists the export at `dir` (`ExportListing`). */
export function listExport(dir: string): ExportListing {
  const root = resolve(dir);
  return {
    dir,
    root,
    files: new Map(EXPORT_NAMES.map((t) => [t, parquetFiles(join(root, t)).sort()])),
  };
}

/** The tables an export holds (those with at least one file), in export order. */
export function exportTables(l: ExportListing): string[] {
  return EXPORT_NAMES.filter((t) => (l.files.get(t) ?? []).length > 0);
}

/** Whether an export directory holds a table with at least one file (stops at the first). */
function holdsTables(dir: string): boolean {
  return EXPORT_NAMES.some((t) => holdsParquet(join(dir, t)));
}

/**
 * Whether `path` is a Parquet export: its marker is there, or (an export copied without it)
 * it is no recording and a table folder of it holds Parquet files.
 */
export function isParquetExport(path: string): boolean {
  const dir = resolve(path);
  if (!isDir(dir)) return false;
  try {
    if (Deno.statSync(join(dir, EXPORT_MARKER)).isFile) return true;
  } catch { /* no marker */ }
  try {
    Deno.statSync(join(dir, "manifest.json"));
    return false;
  } catch { /* not a recording */ }
  return holdsTables(dir);
}

/**
 * The `.parquet` files under `dir`, as paths relative to it (hidden ones left out; linked files
 * and folders followed: DuckDB's glob follows a linked file but not a linked folder).
 */
function parquetFiles(dir: string, rel = "", above: ReadonlySet<string> = new Set()): string[] {
  let entries: Deno.DirEntry[];
  const at = join(dir, rel);
  try {
    entries = [...Deno.readDirSync(at)];
  } catch {
    return [];
  }
  const here = downTo(at, above);
  return entries.flatMap((e) => {
    if (e.name.startsWith(".")) return [];
    const p = rel ? `${rel}/${e.name}` : e.name;
    const kind = entryKind(at, e, here);
    if (kind === "dir") return parquetFiles(dir, p, here);
    return kind === "file" && e.name.endsWith(".parquet") ? [p] : [];
  });
}

/** Tables a recording's export may lack (the observer's labels exist once it has labelled). */
const OPTIONAL = new Set(["labels"]);

/** What an export lacks: files lost, and tables a recording's export never had. */
export interface ExportGaps {
  /** files lost (deleted, not copied, not yet synced): their rows are left out */
  missing: { table: string; file: string }[];
  /**
   * tables this Sightline exports that the export of a recording never had (made by an older
   * one), as its `recordings` file records (`TABLES_KEY`): empty for it, not lost
   */
  neverHad: { table: string; file: string }[];
  /** whether some recording lacking files records no table list (exported before it did) */
  unrecorded: boolean;
}

/**
 * The files missing from an export: every table it holds has one file per recording
 * (`HOST/DATE/RECORDING.parquet`), so a recording one table has and another lacks is a
 * partition lost (deleted, not copied, not yet synced): the rows of that table for that
 * recording, which a query would silently leave out. A table none of whose files is left (its
 * folder deleted) lacks them all. But a table a recording's export never had is no loss: its
 * `recordings` file lists the tables that export wrote (`exportedTableLists`), so one made by
 * an older Sightline, before a table was added, lacks that table's file as it should (`neverHad`).
 * An export that lists none (made before exports did) cannot tell the two: every gap is missing.
 */
export function missingPartitions(
  l: ExportListing,
  lists: ReadonlyMap<string, ReadonlySet<string>> = new Map(),
): ExportGaps {
  // every table, those with no file left too (a table's folder deleted, or emptied: its files
  // are all missing, not a table the export never had)
  const held = new Map([...l.files].map(([t, files]) => [t, new Set(files)]));
  const all = [...new Set([...held.values()].flatMap((files) => [...files]))].sort();
  const gaps: ExportGaps = { missing: [], neverHad: [], unrecorded: false };
  for (const [table, files] of held) {
    if (OPTIONAL.has(table)) continue;
    for (const file of all) {
      if (files.has(file)) continue;
      const had = lists.get(file);
      if (had && !had.has(table)) gaps.neverHad.push({ table, file });
      else {
        gaps.missing.push({ table, file });
        if (!had) gaps.unrecorded = true;
      }
    }
  }
  return gaps;
}

/**
 * The tables the export of each recording wrote, as its `recordings` file records them in its
 * Parquet key-value metadata (`TABLES_KEY`: a JSON object, table -> rows), by the file's path
 * under its table (`HOST/DATE/RECORDING.parquet`). A recording whose `recordings` file lacks
 * the list (exported before exports wrote it), is missing or cannot be read has none.
 */
export async function exportedTableLists(
  c: DuckDBConnection,
  l: ExportListing,
  skip: ReadonlySet<string> = new Set(),
): Promise<Map<string, Set<string>>> {
  const root = join(l.root, "recordings");
  const rels = (l.files.get("recordings") ?? []).filter((f) => !skip.has(join(root, f)));
  const read = (files: string[]) =>
    queryRows(c, readSql(EXPORT_SQL_DIR, "export_table_lists"), {
      files: files.map((f) => join(root, f)),
      key: TABLES_KEY,
    });
  let rows: Record<string, unknown>[] = [];
  try {
    rows = rels.length ? await read(rels) : [];
  } catch {
    // a file that cannot be read fails them all: one by one, those that can
    for (const f of rels) rows.push(...await read([f]).catch(() => []));
  }
  const out = new Map<string, Set<string>>();
  for (const r of rows) {
    try {
      const tables = JSON.parse(String(r.value));
      if (!tables || typeof tables !== "object" || Array.isArray(tables)) continue;
      const rel = String(r.file_name).slice(root.length + 1);
      out.set(rel, new Set(["recordings", ...Object.keys(tables)]));
    } catch { /* not a list this export wrote */ }
  }
  return out;
}

/**
 * The recordings `dir` holds, as `HOST NAME` keys (`sameRecordingTwice`): from its files'
 * paths, `TABLE/capture_host=HOST/capture_date=DATE/NAME.parquet` (percent-encoded), of every
 * table, so that one whose `recordings` file is missing still counts.
 */
function exportedRecordings(l: ExportListing): Set<string> {
  const [host] = PARTITION_KEYS;
  const files = new Set([...l.files.values()].flat());
  const path = new RegExp(`^${host}=([^/]*)/[^/]*/([^/]*)\\.parquet$`);
  const out = new Set<string>();
  for (const f of files) {
    const m = path.exec(f);
    try {
      if (m) out.add(`${decodeURIComponent(m[1])} ${decodeURIComponent(m[2])}`);
    } catch { /* not a name the export writes */ }
  }
  return out;
}

/**
 * A recording given twice to `sql`, once as an export holding it and once as its directory or
 * in another export (same host and name: an export holds one recording of a name per host),
 * said in one line; null when none is. Its rows would be answered twice under one name (or,
 * a recording of the same name, the two as one: an export refuses to hold both).
 * `dirs`: the recording directories given (their host from the manifest, as the export
 * takes it; `unknown` without one).
 */
export function sameRecordingTwice(dirs: string[], exports: ExportListing[]): string | null {
  const seen = new Map<string, string>();
  const listed = new Map(exports.map((l) => [l.dir, l]));
  const keysOf = (path: string, isExport: boolean): string[] => {
    if (isExport) return [...exportedRecordings(listed.get(path)!)];
    let host = "unknown";
    try {
      const m = readManifestJson(path) as { host?: unknown } | null;
      if (typeof m?.host === "string" && m.host) host = m.host;
    } catch { /* no manifest: the export names its host unknown too */ }
    return [`${host} ${basename(resolve(path))}`];
  };
  for (
    const [path, isExport] of [
      ...exports.map((e) => [e.dir, true] as const),
      ...dirs.map((d) => [d, false] as const),
    ]
  ) {
    for (const key of keysOf(path, isExport)) {
      const first = seen.get(key);
      if (first !== undefined && first !== path) {
        const [host, ...name] = key.split(" ");
        return `recording ${name.join(" ")} (host ${host}) is both in ${first} and in ${path}: ` +
          "their rows would be answered as one recording's; give it once";
      }
      // (two directories of one name are told apart by their paths, sql.ts: only an export's
      // recordings are answered under their names whatever else is given)
      if (isExport) seen.set(key, path);
    }
  }
  return null;
}

/**
 * The files of table `table` of every export in `dirs`, leaving out those in `skip` (absolute
 * paths: files found unreadable). They are listed here, not globbed, so that what is read is
 * the same with and without a file skipped, and the same as `missingPartitions` judges:
 * linked files and folders included.
 */
function scanFiles(
  exports: readonly ExportListing[],
  table: string,
  skip: ReadonlySet<string>,
): string[] {
  return exports.flatMap((l) => {
    const root = join(l.root, table);
    return (l.files.get(table) ?? []).map((f) => join(root, f));
  }).filter((f) => !skip.has(f));
}

/**
 * A `read_parquet` over the files of table `table` of every export in `dirs` (`scanFiles`),
 * null when there is none: the source of a view `sql` makes, whose definition can hold no
 * parameter, so its files are written as quoted string literals.
 */
export function parquetScan(
  exports: readonly ExportListing[],
  table: string,
  skip: ReadonlySet<string> = new Set(),
): string | null {
  const files = scanFiles(exports, table, skip);
  if (!files.length) return null;
  const [host, date] = PARTITION_KEYS;
  return `read_parquet([${files.map(sqlString).join(", ")}], hive_partitioning = true, ` +
    `union_by_name = true, hive_types = {'${host}': VARCHAR, '${date}': DATE})`;
}

/**
 * The columns `parquetScan` reads declared table `name` with (its exported columns, then the
 * partition keys), as a statement that makes an empty table of them (in `sql`'s in-memory
 * database, not TEMP, as its stacked views: sql.ts): what a table none of whose files can be
 * read is, so that a query naming its export-only columns (`capture_host`, `request_at`) still
 * runs; undefined for a name that is not a declared table.
 */
export function emptyExportedTable(name: string): string | undefined {
  const def = exportTable(name);
  if (!def) return undefined;
  const [host, date] = PARTITION_KEYS;
  const types: Record<string, string> = { [host]: "VARCHAR", [date]: "DATE" };
  const cols = [
    ...exportedColumns(def.columns.map((c) => ({ name: c.name, type: sqlType(c.type) }))),
    // last, by name, as DuckDB's read_parquet gives them
    ...[host, date].sort().map((k) => ({ name: k, type: types[k] })),
  ];
  return `CREATE TABLE ${quoteIdent(name)} (${
    cols.map((c) => `${quoteIdent(c.name)} ${c.type}`).join(", ")
  })`;
}

/**
 * The export file a DuckDB error names (`File '/x/t/h=.../r.parquet' too small to be a Parquet
 * file`, `No magic bytes found at end of file '...'`; in double quotes: `Cannot open file
 * "..."`, `Could not read from file "..."`, `No files found that match the pattern "..."` for
 * a listed file gone before it was read), when it lies under one of `dirs`. A glob is no file.
 */
export function unreadableFile(message: string, dirs: string[]): string | undefined {
  const roots = dirs.map((d) => resolve(d) + "/");
  for (const m of message.matchAll(/'([^']+\.parquet)'|"([^"]+\.parquet)"/g)) {
    const file = m[1] ?? m[2];
    if (!/[*?[]/.test(file) && roots.some((r) => file.startsWith(r))) return file;
  }
  return undefined;
}

/**
 * The export files of `dirs` (of table `only`, or of all; those not in `skip`) that DuckDB
 * cannot read, each with DuckDB's words: every column of every row read, since a damaged footer
 * or page fails a scan of many files in words that name none of them (`TProtocolException:
 * Invalid data`). Reads each file whole: asked only once a scan has failed so.
 */
export async function undecodableFiles(
  c: DuckDBConnection,
  exports: readonly ExportListing[],
  skip: ReadonlySet<string> = new Set(),
  only?: string,
): Promise<{ dir: string; file: string; why: string }[]> {
  const out: { dir: string; file: string; why: string }[] = [];
  for (const l of exports) {
    const dir = l.dir;
    for (const table of only ? [only] : exportTables(l)) {
      const root = join(l.root, table);
      for (const rel of l.files.get(table) ?? []) {
        const file = join(root, rel);
        if (skip.has(file)) continue;
        try {
          await c.run(readSql(EXPORT_SQL_DIR, "export_decode"), { file });
        } catch (e) {
          out.push({ dir, file, why: errorLine(e) });
        }
      }
    }
  }
  return out;
}

/**
 * What each recording of the export at `dir` (as the user named it) lost or could not read, as
 * its exported `problems` rows state it: one damage line per recording that has problems, in
 * the words `sql` uses for a recording directory, so a query over an export is as loud as one
 * over the recordings it came from. An export without a `problems` table has none to say.
 */
export async function exportDamage(
  c: DuckDBConnection,
  l: ExportListing,
  skip: ReadonlySet<string> = new Set(),
): Promise<{ recording: string; damage: Damage }[]> {
  const dir = l.dir;
  const files = scanFiles([l], "problems", skip);
  if (!files.length) return [];
  const rows = await queryRows(c, readSql(EXPORT_SQL_DIR, "export_problems_by_recording"), {
    files,
  });
  const byRecording = new Map<string, ProblemKind[]>();
  for (const r of rows) {
    const name = String(r.recording);
    byRecording.set(name, [...byRecording.get(name) ?? [], r as unknown as ProblemKind]);
  }
  return [...byRecording].flatMap(([recording, kinds]) => {
    const where = `deno task sql ${dir} -- "SELECT * FROM problems WHERE recording = ` +
      `${sqlString(recording)}"`;
    const damage = damageFrom(kinds, where);
    return damage ? [{ recording, damage }] : [];
  });
}
