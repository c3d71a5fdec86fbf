/**
 * Reading a Parquet export back (`deno task sql EXPORT_DIR -- "SELECT ..."`): tells an export
 * directory from a recording, lists the tables it holds, and gives the `read_parquet` scan that
 * offers one table of one or many exports under its own name — with the hive partition columns
 * `capture_host` (VARCHAR) and `capture_date` (DATE) added from the paths. Works the same on a
 * local directory and on an object store mounted as one.
 */
import { join, resolve } from "node:path";
import { sqlString } from "../../kit/columns.ts";
import { isDir } from "../../kit/files.ts";
import { EXPORT_MARKER } from "./parquet.ts";
import { EXPORT_NAMES, PARTITION_KEYS } from "./tables.ts";

/** Whether the tree under `dir` holds a `.parquet` file. */
function holdsParquet(dir: string): boolean {
  let entries: Deno.DirEntry[];
  try {
    entries = [...Deno.readDirSync(dir)];
  } catch {
    return false;
  }
  for (const e of entries) {
    if (e.isFile && e.name.endsWith(".parquet") && !e.name.startsWith(".")) return true;
  }
  return entries.some((e) => e.isDirectory && holdsParquet(join(dir, e.name)));
}

/** The tables an export directory holds (those with at least one file), in export order. */
export function exportTables(dir: string): string[] {
  return EXPORT_NAMES.filter((t) => holdsParquet(join(dir, t)));
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
  return exportTables(dir).length > 0;
}

/** A `read_parquet` over table `table` of every export in `dirs`. */
export function parquetScan(dirs: string[], table: string): string {
  const globs = dirs.map((d) => sqlString(join(resolve(d), table, "**", "*.parquet")));
  const [host, date] = PARTITION_KEYS;
  return `read_parquet([${globs.join(", ")}], hive_partitioning = true, union_by_name = true, ` +
    `hive_types = {'${host}': VARCHAR, '${date}': DATE})`;
}
