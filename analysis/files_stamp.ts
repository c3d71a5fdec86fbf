/**
 * What a recording's table files were when an analysis read them: each Arrow file's size and
 * modification time, taken before the files are read and stamped into the analysed database
 * (the comment of its `recordings.recording` column: no table or column of its own, so the
 * documented schema and the exported tables stay as they are). A capture still writing, or one
 * resumed or appended to, grows its files while its manifest's end may say nothing new:
 * `analysed_db.ts analysisOutdated` compares the stamp with the files now, so the analysis is
 * made again rather than an old one shown as current.
 */
import type { DuckDBConnection } from "@duckdb/node-api";
import { sqlString } from "../kit/columns.ts";
import { queryRows } from "../kit/sql_runner.ts";
import { recordingFiles } from "../recording/manifest.ts";
import { sqlText } from "./sql_files.ts";

/** Each table file's size in bytes and modification time (ms since the epoch; 0 unknown). */
export type FilesStamp = Record<string, [size: number, mtimeMs: number]>;

const PREFIX = "sightline table files ";

/** The table files (`*.arrow`) of the recording in `dir` as they are now. */
export function filesStampOf(dir: string): FilesStamp {
  const out: FilesStamp = {};
  for (const name of recordingFiles(dir)) {
    if (!name.endsWith(".arrow")) continue;
    try {
      const st = Deno.statSync(`${dir}/${name}`);
      out[name] = [st.size, st.mtime?.getTime() ?? 0];
    } catch { /* gone since listed: not in the stamp, as when absent */ }
  }
  return out;
}

/** Stamps the database being built (its `recordings` table exists) with `files`. */
export async function stampFiles(c: DuckDBConnection, files: FilesStamp): Promise<void> {
  // COMMENT takes no parameter: the text is quoted as a string literal
  await c.run(
    `COMMENT ON COLUMN recordings.recording IS ${sqlString(PREFIX + JSON.stringify(files))}`,
  );
}

/** The stamp of the database open on `c`, or null (none: made before stamps were written). */
export async function stampedFiles(c: DuckDBConnection): Promise<FilesStamp | null> {
  const comment = (await queryRows(c, sqlText("recording_files")))[0]?.comment;
  if (typeof comment !== "string" || !comment.startsWith(PREFIX)) return null;
  try {
    const v = JSON.parse(comment.slice(PREFIX.length));
    return v && typeof v === "object" && !Array.isArray(v) ? v as FilesStamp : null;
  } catch {
    return null;
  }
}

/**
 * How the table files `now` differ from those an analysis read (`then`), in a few words naming
 * the first file that changed (`tls.arrow grew from 10 to 20 bytes since`), or null when they
 * are the same.
 */
export function filesChanged(then: FilesStamp, now: FilesStamp): string | null {
  for (const name of [...new Set([...Object.keys(then), ...Object.keys(now)])].sort()) {
    const [a, b] = [then[name], now[name]];
    if (!a) return `${name} appeared since`;
    if (!b) return `${name} is gone since`;
    if (a[0] !== b[0]) {
      return `${name} ${b[0] > a[0] ? "grew" : "shrank"} from ${a[0]} to ${b[0]} bytes since`;
    }
    if (a[1] !== b[1]) return `${name} was written again since`;
  }
  return null;
}
