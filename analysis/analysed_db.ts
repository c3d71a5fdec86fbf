/**
 * The one way to an analysed recording's database (`analysis.duckdb` beside the recording),
 * used by the analysis commands, the reports, the notebooks, the observer and the lab:
 * finding it, building it first when it is missing, older than what the caller needs or asked
 * to be rebuilt, opening it (read-only unless asked otherwise; DuckDB held to the default
 * memory limit of duckdb_open.ts, spilling to a private directory removed on closing), and
 * running named `.sql` files with bound values into plain rows (`queryRows` of
 * kit/sql_runner.ts: BIGINT as bigint, lists as arrays); or attached read-only to a private
 * in-memory database (`withAttached`, the exports; `withMemoryDb`, `sql`'s stack of many).
 */
import { existsSync } from "node:fs";
import { basename, dirname, join, resolve } from "node:path";
import type { DuckDBConnection } from "@duckdb/node-api";
import { aboutPath, errorLine, tempDirRemovedOnStop } from "../kit/cli.ts";
import { isDir } from "../kit/files.ts";
import { queryRows, readSql, runSql, type SqlValue, tableNames } from "../kit/sql_runner.ts";
import { analyzeRecording, DB_FILE, dbInTheWay } from "./analyze.ts";
import { manifestInfo } from "./recording_input.ts";
import { loadPrices } from "./pricing.ts";
import { attachReadOnly, type OpenDuckDb, openDuckDb } from "./duckdb_open.ts";
import { revisionMismatch, revisionOf } from "./analysis_version.ts";
import { sqlText } from "./sql_files.ts";
import { isRecordingFile, readManifestJson } from "../recording/manifest.ts";
import { filesChanged, type FilesStamp, filesStampOf, stampedFiles } from "./files_stamp.ts";

export { DB_FILE };

/** A row as DuckDB's JS conversion gives it: BIGINT as bigint, lists as arrays. */
export type Row = Record<string, unknown>;

/** A named `.sql` file: `dir/name.sql`. */
export interface SqlFile {
  dir: URL;
  name: string;
}

/** An analysed recording that cannot be opened; the message is one line. */
export class NotAnalysed extends Error {}

/** The database path of a recording directory (or the path itself if it is a database). */
export function dbPathOf(recording: string): string {
  return isDbPath(recording) ? recording : join(recording, DB_FILE);
}

/** Whether `path` names a database file (`.duckdb`), not a directory of that name. */
const isDbPath = (path: string) => path.endsWith(".duckdb") && !isDir(path);

const sqlOf = (q: SqlFile | string) => (typeof q === "string" ? q : readSql(q.dir, q.name));

/** An open analysed database. */
export class AnalysedDb {
  #db: OpenDuckDb;
  constructor(
    /** the recording directory */
    readonly dir: string,
    /** the database file */
    readonly path: string,
    readonly conn: DuckDBConnection,
    db: OpenDuckDb,
    /** every table and view name in the database */
    readonly tables: Set<string>,
    /** the database was (re)built on opening */
    readonly analysed: boolean,
    /** what the recording lost or could not read (`damageOf`), said on opening */
    readonly damage: Damage | null = null,
  ) {
    this.#db = db;
  }

  /** Whether the database has this table or view. */
  has(name: string): boolean {
    return this.tables.has(name);
  }

  /** Rows of a named `.sql` file (or a query), its `$name` parameters bound from `values`. */
  rows(q: SqlFile | string, values: Record<string, SqlValue> = {}): Promise<Row[]> {
    return queryRows(this.conn, sqlOf(q), values);
  }

  /** Runs a named `.sql` file (or a statement) with its parameters bound. */
  run(q: SqlFile | string, values: Record<string, SqlValue> = {}): Promise<void> {
    return runSql(this.conn, sqlOf(q), values, typeof q === "string" ? undefined : `${q.name}.sql`);
  }

  /** Closes the database (and removes the directory it could spill to). */
  close(): void {
    this.#db.close();
  }
}

export interface OpenOptions {
  /** analyse the recording again first */
  rebuild?: boolean;
  /** open for writing (default read-only) */
  write?: boolean;
  /** tables and views the caller needs: without them the recording is analysed again */
  require?: readonly string[];
  /** one line per thing done on the way (analysing first, and the damaged files it met);
   * default: nothing */
  log?: (line: string) => void;
}

/** Opens under the default memory limit (or `memoryLimit`), spilling to a private directory
 * (duckdb_open.ts). */
function connect(
  path: string,
  write: boolean,
  threads?: number,
  memoryLimit?: string,
): Promise<OpenDuckDb> {
  return openDuckDb(path, { readOnly: !write, threads, memoryLimit });
}

/** DuckDB's words for a database file that is damaged or is not one: cut short, a block whose
 * checksum fails, a header that is not DuckDB's. */
export const DAMAGED_DB =
  /Corrupt database file|not a valid DuckDB database file|Could not read enough bytes from file/;

/**
 * Why the analysis at `db` no longer describes the recording in `dir`, or null: it was built
 * by another revision of the analysis (`analysis_version.ts`: an older or newer Sightline, or a
 * database that is not ours), it cannot be read (a damaged file: made again from the recording),
 * it names the recording otherwise than its directory is named now (renamed or copied since),
 * it was made while the capture ran (`deno task analyze` of a recording being written) and the
 * capture has ended since, so the manifest's end (complete, end time, exit code) is not the one
 * the analysis read, or a table file grew or appeared since it was read (a capture still
 * writing, resumed or appended to: `files_stamp.ts`, by size only, so a copy with other
 * modification times is current), whatever the manifest says. A table file gone or shrunk since
 * keeps the analysis (made again it would hold less): `opts.kept` gets one line saying so. An
 * unreadable database is said by whoever opens it; without a readable manifest there is no end
 * to compare, a directory that cannot be listed has no files to compare, and `dir` null (a
 * database given alone) has nothing to compare.
 */
export async function analysisOutdated(
  dir: string | null,
  db: string,
  opts: KeptOptions = {},
): Promise<string | null> {
  let row: Row | undefined;
  let named: unknown;
  let revision: number | null;
  let files: FilesStamp | null = null;
  try {
    const opened = await connect(db, false);
    try {
      revision = await revisionOf(opened.conn);
      row = revision === null
        ? undefined
        : (await queryRows(opened.conn, sqlText("recording_end")))[0];
      if (row) {
        named = (await queryRows(opened.conn, sqlText("recording_name")))[0]?.recording;
        // (a stamp that cannot be read: no file comparison, the checks above and below stand)
        files = await stampedFiles(opened.conn).catch(() => null);
      }
    } finally {
      opened.close();
    }
  } catch (e) {
    // A damaged database beside its recording is made again from the recording (it holds
    // nothing else); any other failure (another process holding it, no permission) is said by
    // whoever opens it, as is a damaged one given alone.
    const line = errorLine(e);
    return dir !== null && DAMAGED_DB.test(line)
      ? `its analysis cannot be read (${stripIoError(line)})`
      : null;
  }
  const mismatch = revisionMismatch(revision);
  if (mismatch) return mismatch;
  if (dir === null) return null;
  // its rows name the recording by its directory's name when analysed: a recording renamed or
  // copied since would answer under the old name (a query for the new one finding nothing, a
  // copy stacked with its original counted as one recording). (A database without its
  // recording beside it cannot be made again: it answers as it is.)
  if (typeof named === "string" && named !== basename(dir) && holdsRecording(dir)) {
    return `the recording was renamed or copied since its analysis (which names it ${named})`;
  }
  const ended = manifestEndChanged(dir, row);
  if (ended) return ended;
  if (!files) return null;
  let now;
  try {
    now = filesStampOf(dir);
  } catch {
    return null; // a directory that can be entered but not listed (0711): no files to compare
  }
  // (no table file left at all: a database with nothing beside it to make it from, as it is)
  const changed = Object.keys(now).length ? filesChanged(files, now) : null;
  if (!changed) return null;
  if ("grew" in changed) return `the recording changed after its analysis (${changed.grew})`;
  // made again from less it would lose what it holds: kept, and said
  opts.kept?.(
    `${changed.lost}: the analysis is kept; deno task analyze ${opts.given ?? dir} builds it ` +
      "again from what is left",
  );
  return null;
}

/** Where `analysisOutdated` says an analysis is kept though a table file is gone or shrank. */
export interface KeptOptions {
  /** receives the one line (no command or recording prefix) */
  kept?: (line: string) => void;
  /** the recording as the user named it, for the command in that line (default: `dir`) */
  given?: string;
}

/** Why the manifest in `dir` ends otherwise than the analysis' `row` read it, or null. */
function manifestEndChanged(dir: string, row: Row | undefined): string | null {
  let info;
  try {
    info = manifestInfo(readManifestJson(dir), () => {});
  } catch {
    return null;
  }
  if (!info || !row) return null;
  const same = row.complete === info.complete &&
    (row.ended_ns ?? null) === info.ended_ns &&
    (row.exit_code ?? null) === info.exit_code;
  if (same) return null;
  return !row.complete && info.complete
    ? "the recording changed after its analysis (its capture has ended since)"
    : "the recording changed after its analysis (its manifest is not the one analysed)";
}

const stripIoError = (line: string) => line.replace(/^IO Error: /, "");

/** Whether `dir` holds a recording's own files (its manifest or a table file). */
export function holdsRecording(dir: string): boolean {
  try {
    return [...Deno.readDirSync(dir)].some((e) => e.isFile && isRecordingFile(e.name));
  } catch {
    return false;
  }
}

/** What an analysed recording lost or could not read, from its `problems` table. */
export interface Damage {
  /** one line: how many problems of which kind, the damaged files, where to look */
  line: string;
  /** the recording's files that were missing, unreadable or cut short (problems of kind
   * `file`): the answers cover what could be read */
  files: string[];
}

/** A recording's problems of one kind: how many, and the sources they name. */
export interface ProblemKind {
  kind: string;
  n: number | bigint;
  sources: string[];
}

/**
 * The damage line of a recording whose problems are `kinds` (most first), or null when it
 * has none; `where` is the command that lists them. One wording for a recording's analysis
 * and for a Parquet export of it (`export/parquet_source.ts exportDamage`).
 */
export function damageFrom(kinds: ProblemKind[], where: string): Damage | null {
  if (!kinds.length) return null;
  const total = kinds.reduce((n, r) => n + Number(r.n), 0);
  const files = kinds.find((r) => r.kind === "file")?.sources ?? [];
  const counts = kinds.map((r) => `${r.n} ${r.kind}`).join(", ");
  const what = `${total} problem${total === 1 ? "" : "s"} (${counts})`;
  const see = `see its problems table (${where})`;
  return {
    line: files.length
      ? `${files.join(", ")} damaged: analysed what could be read; ${what}: ${see}`
      : `${what}: its tables hold what was recorded; ${see}`,
    files,
  };
}

/**
 * The recording's damage as its analysis states it (the `problems` table: files cut short,
 * bytes lost in capture, gaps, answers cut short, processes still running), or null when it
 * has none. Every command that answers from an analysis says it in one line, every time, not
 * only when it analysed the recording on its way.
 */
export async function damageOf(c: DuckDBConnection, recording: string): Promise<Damage | null> {
  const kinds = await queryRows(c, sqlText("problems_by_kind"));
  return damageFrom(
    kinds as unknown as ProblemKind[],
    `deno task sql ${recording} -- "SELECT * FROM problems"`,
  );
}

/** `damageOf` for the database at `path` (opened read-only), or null when it cannot be read. */
export async function damageAt(path: string, recording: string): Promise<Damage | null> {
  try {
    return await withDb(path, (c) => damageOf(c, recording), { readOnly: true });
  } catch {
    return null; // no problems table: refused or rebuilt by whoever opened it
  }
}

/**
 * Opens the analysed database of a recording directory (or a database file): analyses the
 * recording first when it has no `analysis.duckdb`, when `rebuild` is set, when the analysis
 * is of another revision or was made before the capture ended (`analysisOutdated`), or when
 * the database lacks a table the caller requires (made by an older version). A database of
 * another revision given alone, or with no recording beside it, is refused (`NotAnalysed`).
 */
export async function openAnalysed(recording: string, opts: OpenOptions = {}): Promise<AnalysedDb> {
  const isDb = isDbPath(recording);
  const path = resolve(dbPathOf(recording));
  const dir = isDb ? resolve(recording, "..") : resolve(recording);
  const log = opts.log ?? (() => {});
  let analysed = false;
  const analyse = async (why: string) => {
    if (isDb) throw new NotAnalysed(`${recording}: ${why}, and it is not a recording directory`);
    if (existsSync(path) && !holdsRecording(dir)) {
      throw new NotAnalysed(`${recording}: ${why}, and no recording is beside it to analyse again`);
    }
    // (a directory holding no recording: the analysis says so in one line, nothing before it)
    if (holdsRecording(dir)) log(`${recording}: ${why}, analysing it first`);
    try {
      // its damage is said below, from the database, as for one analysed before
      await analyzeRecording(dir, loadPrices(), { quiet: true, err: () => {} });
    } catch (e) {
      throw new NotAnalysed(aboutPath(recording, errorLine(e)));
    }
    analysed = true;
  };
  if (!isDb && !isDir(dir)) throw new NotAnalysed(`${recording}: not a directory`);
  const inTheWay = isDb ? null : dbInTheWay(dir);
  if (inTheWay) throw new NotAnalysed(`${recording}: ${inTheWay}`);
  if (opts.rebuild) await analyse("asked to analyse it again");
  else if (!existsSync(path)) await analyse("not analysed yet");
  else {
    // a database given alone is checked for its revision only (no manifest to compare)
    const outdated = await analysisOutdated(isDb ? null : dir, path, {
      kept: (line) => log(`${recording}: ${line}`),
      given: recording,
    });
    if (outdated) await analyse(outdated);
  }
  let db;
  try {
    db = await connect(path, opts.write ?? false);
  } catch (e) {
    // a file given as a database that is none (or is damaged): named, in one line
    const line = errorLine(e);
    if (!DAMAGED_DB.test(line)) throw e;
    throw new NotAnalysed(`${recording}: not a readable DuckDB database (${stripIoError(line)})`);
  }
  let tables = await tableNames(db.conn);
  const missing = (opts.require ?? []).filter((t) => !tables.has(t));
  if (missing.length && !analysed) {
    db.close();
    await analyse(`its analysis has no ${missing.join(", ")} (made by an older version)`);
    db = await connect(path, opts.write ?? false);
    tables = await tableNames(db.conn);
  }
  const still = (opts.require ?? []).filter((t) => !tables.has(t));
  if (still.length) {
    db.close();
    throw new NotAnalysed(`${path}: no ${still.join(", ")} table`);
  }
  const damage = tables.has("problems") ? await damageOf(db.conn, recording) : null;
  if (damage) log(`${recording}: ${damage.line}`);
  return new AnalysedDb(dir, path, db.conn, db, tables, analysed, damage);
}

/** Runs `fn` with a recording's analysed database open, closing it afterwards. */
export async function withAnalysed<T>(
  recording: string,
  fn: (db: AnalysedDb) => Promise<T>,
  opts: OpenOptions = {},
): Promise<T> {
  const db = await openAnalysed(recording, opts);
  try {
    return await fn(db);
  } finally {
    db.close();
  }
}

/** Makes sure the recording is analysed; returns its database path. */
export async function ensureAnalysed(
  recording: string,
  opts: { rebuild?: boolean; log?: (line: string) => void } = {},
): Promise<string> {
  const db = await openAnalysed(recording, opts);
  db.close();
  return db.path;
}

/**
 * Runs `fn` with a connection to the database at `path` (read-only if asked; with DuckDB held
 * to `threads` and to `memoryLimit` when given), then closes.
 */
export async function withDb<T>(
  path: string,
  fn: (c: DuckDBConnection) => Promise<T>,
  opts: { readOnly?: boolean; threads?: number; memoryLimit?: string } = {},
): Promise<T> {
  const db = await connect(path, !opts.readOnly, opts.threads, opts.memoryLimit);
  try {
    return await fn(db.conn);
  } finally {
    db.close();
  }
}

/** The system's words (through DuckDB's) for a database that cannot be written where it is. */
const NOT_WRITABLE = /Read-only file system|Permission denied|Operation not permitted/;

/** Why opening a database for writing failed, when it failed for it cannot be written; else null. */
export function notWritableWhy(e: unknown): string | null {
  const why = errorLine(e);
  return NOT_WRITABLE.test(why) ? why.replace(/^IO Error: /, "") : null;
}

/**
 * Runs `fn` with the database at `path` open for writing; when it cannot be written where it is
 * (a read-only mount, a share, no permission), on a temporary copy, removed after. `notWritable`
 * says why it was copied (null: `fn` wrote the database itself).
 */
export async function withDbOrCopy<T>(
  path: string,
  fn: (c: DuckDBConnection) => Promise<T>,
): Promise<{ value: T; notWritable: string | null }> {
  try {
    return { value: await withDb(path, fn), notWritable: null };
  } catch (e) {
    const why = notWritableWhy(e);
    if (why === null) throw e;
    const tmp = tempDirRemovedOnStop({ prefix: "sightline-copy-" });
    try {
      const copy = join(tmp.path, basename(path));
      await Deno.copyFile(path, copy);
      return { value: await withDb(copy, fn), notWritable: why };
    } finally {
      await Deno.remove(tmp.path, { recursive: true }).catch(() => {});
      tmp.forget();
    }
  }
}

/**
 * Runs `fn` on a private in-memory database with the analysed database at `path` attached
 * read-only as `src` (and made the default schema when `use`), under the default memory limit
 * and spilling beside it (duckdb_open.ts), then closes: for readers that make views of their own
 * over an analysis without writing it (the exports).
 */
export function withAttached<T>(
  path: string,
  fn: (c: DuckDBConnection) => Promise<T>,
  opts: { use?: boolean } = {},
): Promise<T> {
  return withMemoryDb(async (c) => {
    await attachReadOnly(c, path, "src");
    if (opts.use) await c.run("USE src");
    return await fn(c);
  }, { spillIn: dirname(path) });
}

/**
 * Runs `fn` on a private in-memory database, under `memoryLimit` (else the default of
 * duckdb_open.ts) and spilling in `spillIn` (beside the analyses it attaches), then closes: for
 * readers that attach analyses read-only (`attachReadOnly`) and make their own views over them
 * (`withAttached`; `sql`, which stacks many).
 */
export async function withMemoryDb<T>(
  fn: (c: DuckDBConnection) => Promise<T>,
  opts: { spillIn: string; memoryLimit?: string },
): Promise<T> {
  const opened = await openDuckDb(":memory:", opts);
  try {
    return await fn(opened.conn);
  } finally {
    opened.close();
  }
}

/** The rows of one query (named values bound) on the database at `path`, opened read-only. */
export function queryDb(
  path: string,
  sql: string,
  values: Record<string, SqlValue> = {},
): Promise<Row[]> {
  return withDb(path, (c) => queryRows(c, sql, values), { readOnly: true });
}
