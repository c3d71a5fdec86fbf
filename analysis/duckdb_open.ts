/**
 * How the analysis opens DuckDB for heavy work (analyze's build, the analysed-database opener,
 * `sql`, `export`): how much memory DuckDB may hold and where it spills beyond that.
 *
 * Memory: `--memory-limit SIZE` when given, else the default rule: a quarter of physical RAM
 * (`os.totalmem()`), at most 512 MiB, at least 256 MiB. DuckDB's own default, 80% of RAM, let
 * the analysis of 10M events peak at 4.2 GiB; held to 1 GiB it still passed 2 GiB, to 512 MiB it
 * peaked at 1.2–1.5 GiB in the same CPU time (reports/bench/analysis.md, session 9). The JS side
 * (the parse, V8's heap) comes on top of DuckDB's share.
 *
 * Attaching another analysis read-only (`attachReadOnly`) is written here once.
 *
 * Spilling: into a private directory (mode 0700) beside the database when that can be written,
 * else in the system's temporary directory, removed when the database is closed — never DuckDB's
 * default (`.tmp` in the working directory for an in-memory database, `DB.tmp` beside a file).
 * DuckDB still stops at 90% of the free disk space there; running out of memory or disk is an
 * error whose line `memoryAdvice` completes with what to change.
 */
import { totalmem } from "node:os";
import { dirname, join } from "node:path";
import { type DuckDBConnection, DuckDBInstance } from "../kit/duckdb.ts";
import { removeAbandoned, tempDirRemovedOnStop, usageError } from "../kit/cli.ts";
import { quoteIdent, sqlString } from "../kit/columns.ts";

/** The default's share of physical RAM, its cap and its floor. */
export const MEMORY_FRACTION = 0.25;
export const MEMORY_CAP_BYTES = 512 * 2 ** 20;
export const MEMORY_FLOOR_BYTES = 256 * 2 ** 20;
/** The smallest `--memory-limit` accepted. */
export const MEMORY_MIN_BYTES = 64 * 2 ** 20;

/** DuckDB's memory limit when none is given: `MEMORY_FRACTION` of RAM within floor and cap. */
export function defaultMemoryLimit(totalBytes: number = totalmem()): string {
  const bytes = Math.max(
    MEMORY_FLOOR_BYTES,
    Math.min(MEMORY_CAP_BYTES, totalBytes * MEMORY_FRACTION),
  );
  return `${Math.floor(bytes / 2 ** 20)}MiB`;
}

const UNIT: Record<string, number> = {
  kb: 1e3,
  kib: 2 ** 10,
  mb: 1e6,
  mib: 2 ** 20,
  gb: 1e9,
  gib: 2 ** 30,
  tb: 1e12,
  tib: 2 ** 40,
};

/** Bytes of a size as DuckDB reads it (`1GB` = 10^9, `1GiB` = 2^30), or null if not a size. */
export function sizeBytes(size: string): number | null {
  const m = /^(\d+(?:\.\d+)?)\s*([KMGT]i?B)$/i.exec(size.trim());
  return m ? Number(m[1]) * UNIT[m[2].toLowerCase()] : null;
}

/** A `--memory-limit` value, checked: a usage error (exit 2) unless a size of at least 64 MiB. */
export function memoryLimitOption(value: string | undefined): string | undefined {
  if (value === undefined) return undefined;
  const bytes = sizeBytes(value);
  if (bytes === null) {
    throw usageError(`--memory-limit: a size such as 1GB or 512MiB, not ${JSON.stringify(value)}`);
  }
  if (bytes < MEMORY_MIN_BYTES) {
    throw usageError(`--memory-limit: at least 64MiB, not ${JSON.stringify(value)}`);
  }
  return value.trim();
}

/**
 * A private directory to spill to: in `dir` when given and writable, else in the system's
 * temporary directory; `remove` deletes it.
 */
export function spillDir(dir?: string): { path: string; remove: () => void } {
  // those of a process killed outright (SIGKILL, the OOM killer) go first
  removeAbandoned(undefined, "sightline-duckdb-spill-");
  if (dir) removeAbandoned(dir, ".duckdb-spill-");
  const inTmp = () => tempDirRemovedOnStop({ prefix: "sightline-duckdb-spill-" });
  let made: { path: string; forget: () => void };
  try {
    made = dir ? tempDirRemovedOnStop({ dir, prefix: ".duckdb-spill-" }) : inTmp();
  } catch (e) {
    if (!dir) throw e;
    made = inTmp();
  }
  const { path, forget } = made;
  return {
    path,
    remove: () => {
      try {
        Deno.removeSync(path, { recursive: true });
      } catch { /* already gone */ }
      forget();
    },
  };
}

export interface DuckDbSettings {
  /** e.g. `1GB`; the default rule when not given */
  memoryLimit?: string;
  /** DuckDB's threads (its default when not given: one per core) */
  threads?: number;
  readOnly?: boolean;
}

/** DuckDB's configuration for a database that spills to `spill`. */
export function duckdbConfig(spill: string, s: DuckDbSettings = {}): Record<string, string> {
  const config: Record<string, string> = {
    memory_limit: s.memoryLimit ?? defaultMemoryLimit(),
    temp_directory: join(spill, "duckdb"),
  };
  if (s.threads) config.threads = String(s.threads);
  if (s.readOnly) config.access_mode = "READ_ONLY";
  return config;
}

/** An open DuckDB database with its spill directory; `close` closes both. */
export interface OpenDuckDb {
  instance: DuckDBInstance;
  conn: DuckDBConnection;
  close(): void;
}

/**
 * Opens `path` (a database file, or `:memory:`) under the memory limit, spilling to a private
 * directory in `spillIn` (by default the database file's directory; the system's temporary
 * directory for `:memory:`).
 */
export async function openDuckDb(
  path: string,
  s: DuckDbSettings & { spillIn?: string } = {},
): Promise<OpenDuckDb> {
  const spill = spillDir(s.spillIn ?? (path === ":memory:" ? undefined : dirname(path)));
  let instance: DuckDBInstance | undefined;
  try {
    instance = await DuckDBInstance.create(path, duckdbConfig(spill.path, s));
    const conn = await instance.connect();
    const opened = instance;
    return {
      instance: opened,
      conn,
      close() {
        conn.closeSync();
        opened.closeSync();
        spill.remove();
      },
    };
  } catch (e) {
    instance?.closeSync();
    spill.remove();
    throw e;
  }
}

/**
 * Attaches the database file at `path` to `c`, read-only, as `alias`: for a reader that makes
 * views of its own over an analysis (`sql`'s stack, the exports) or copies from one (the labels
 * a rebuild keeps). `ATTACH` takes no parameter: the path is written as a quoted string literal
 * (quotes doubled), the alias as a quoted name.
 */
export async function attachReadOnly(
  c: DuckDBConnection,
  path: string,
  alias: string,
): Promise<void> {
  await c.run(`ATTACH ${sqlString(path)} AS ${quoteIdent(alias)} (READ_ONLY)`);
}

/**
 * The line of a DuckDB error, completed with what to change when it ran out of memory or of
 * disk to spill to (otherwise as given).
 */
export function memoryAdvice(line: string, memoryLimit?: string): string {
  if (!/Out of Memory|No space left on device|max_temp_directory_size/i.test(line)) return line;
  const limit = memoryLimit ?? `${defaultMemoryLimit()} (the default)`;
  return `${line} — DuckDB was held to ${limit} of memory and spills beside the database: ` +
    "free disk space there, or give a larger --memory-limit (analyze, sql)";
}
