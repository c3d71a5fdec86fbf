/**
 * What a recording's table files were when an analysis read them: each Arrow file's size, taken
 * before the files are read and stamped into the analysed database (the comment of its
 * `recordings.recording` column: no table or column of its own, so the documented schema and the
 * exported tables stay as they are). A capture only appends to its files: one still writing, or
 * resumed or appended to, grows them while its manifest's end may say nothing new, and
 * `analysed_db.ts analysisOutdated` has the analysis made again. Sizes only, not modification
 * times: a copy (`cp -r`, `scp`, `tar`) has other times and the same content, and is not stale.
 * A file gone or shrunk since holds less than the analysis read: that analysis is kept (made
 * again it would lose what it holds), and said.
 */
import type { DuckDBConnection } from "@duckdb/node-api";
import { sqlString } from "../kit/columns.ts";
import { queryRows } from "../kit/sql_runner.ts";
import { recordingFiles } from "../recording/manifest.ts";
import { sqlText } from "./sql_files.ts";

/** Each table file's size in bytes. */
export type FilesStamp = Record<string, number>;

const PREFIX = "sightline table files ";

/** The table files (`*.arrow`) of the recording in `dir` as they are now (throws when the
 * directory cannot be listed). */
export function filesStampOf(dir: string): FilesStamp {
  const out: FilesStamp = {};
  for (const name of recordingFiles(dir)) {
    if (!name.endsWith(".arrow")) continue;
    try {
      out[name] = Deno.statSync(`${dir}/${name}`).size;
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

/** The stamp of the database open on `c`, or null (none: made before stamps were written). A
 * stamp of `[size, mtime]` pairs (written by an earlier build of this revision) is read by its
 * sizes. */
export async function stampedFiles(c: DuckDBConnection): Promise<FilesStamp | null> {
  const comment = (await queryRows(c, sqlText("recording_files")))[0]?.comment;
  if (typeof comment !== "string" || !comment.startsWith(PREFIX)) return null;
  let v: unknown;
  try {
    v = JSON.parse(comment.slice(PREFIX.length));
  } catch {
    return null;
  }
  if (!v || typeof v !== "object" || Array.isArray(v)) return null;
  const out: FilesStamp = {};
  for (const [name, s] of Object.entries(v)) {
    const size = Array.isArray(s) ? s[0] : s;
    if (typeof size !== "number") return null;
    out[name] = size;
  }
  return out;
}

/** How the table files differ from those an analysis read: `grew` (a file grew or appeared:
 * made again) or `lost` (a file is gone or shrank: kept), each in a few words naming the file. */
export type FilesChange = { grew: string } | { lost: string };

/**
 * How the table files `now` differ from those an analysis read (`then`), or null when their
 * sizes are the same. A file gone or shrunk wins over one grown (the analysis holds what it
 * lost). `tls.arrow grew from 10 to 20 bytes since`; `tls.arrow is gone since its analysis
 * (which read 10 bytes of it)`.
 */
export function filesChanged(then: FilesStamp, now: FilesStamp): FilesChange | null {
  const names = [...new Set([...Object.keys(then), ...Object.keys(now)])].sort();
  for (const name of names) {
    const [a, b] = [then[name], now[name]];
    if (a === undefined) continue;
    if (b === undefined) {
      return { lost: `${name} is gone since its analysis (which read ${a} bytes of it)` };
    }
    if (b < a) return { lost: `${name} shrank from ${a} to ${b} bytes since its analysis` };
  }
  for (const name of names) {
    const [a, b] = [then[name], now[name]];
    if (a === undefined) return { grew: `${name} appeared since` };
    if (b > a) return { grew: `${name} grew from ${a} to ${b} bytes since` };
  }
  return null;
}
