/**
 * Opening a recording for analysis: checks that a directory is a Sightline recording, reads
 * its manifest (if readable) and its four Arrow files into columns, and turns everything that
 * is wrong into one-line problems naming the file — a missing or corrupt file costs that
 * table, not the analysis.
 */
import { basename, resolve } from "node:path";
import type { TableDef } from "../kit/columns.ts";
import type { Manifest } from "../recording/manifest.ts";
import { type Columns, emptyColumns, oneLine, readArrowColumns } from "../recording/arrow_input.ts";
import { RAW_TABLES } from "./schema.ts";

export interface RecordingInput {
  /** the `recording` value: the directory name */
  name: string;
  dir: string;
  manifest: Manifest | null;
  tables: Map<string, Columns>;
  /** `file: message` lines */
  problems: { source: string; message: string }[];
}

/** A directory that is not a recording at all; the message is one line. */
export class NotARecording extends Error {}

const FILES: Record<string, string> = {
  process: "process.arrow",
  file: "file.arrow",
  net: "net.arrow",
  tls: "tls.arrow",
};

/** The capture table a raw table def was made from (its columns minus `recording`). */
function captureColumns(def: TableDef): TableDef {
  return { ...def, columns: def.columns.filter((c) => c.name !== "recording") };
}

export function openRecording(path: string): RecordingInput {
  const dir = resolve(path);
  let st: Deno.FileInfo;
  try {
    st = Deno.statSync(dir);
  } catch {
    throw new NotARecording(`${path}: no such directory`);
  }
  if (!st.isDirectory) throw new NotARecording(`${path}: not a directory (a recording is one)`);
  const problems: RecordingInput["problems"] = [];
  let manifest: Manifest | null = null;
  try {
    const m = JSON.parse(Deno.readTextFileSync(`${dir}/manifest.json`));
    if (m?.format !== "sightline-recording") {
      problems.push({ source: "manifest.json", message: "not a Sightline manifest (format)" });
    } else manifest = m;
  } catch (e) {
    const missing = e instanceof Deno.errors.NotFound;
    problems.push({
      source: "manifest.json",
      message: missing ? "missing" : `unreadable (${oneLine(e)})`,
    });
  }
  const present = Object.values(FILES).filter((f) => {
    try {
      return Deno.statSync(`${dir}/${f}`).isFile;
    } catch {
      return false;
    }
  });
  if (!manifest && present.length === 0) {
    throw new NotARecording(`${path}: not a recording (no manifest.json and no Arrow files)`);
  }
  const tables = new Map<string, Columns>();
  for (const def of RAW_TABLES) tables.set(def.name, readTable(dir, def, problems));
  return { name: basename(dir), dir, manifest, tables, problems };
}

/** Reads one table's Arrow file of a recording directory; problems are added to `problems`. */
export function readTable(
  dir: string,
  def: TableDef,
  problems: RecordingInput["problems"] = [],
): Columns {
  const file = FILES[def.name];
  const cdef = captureColumns(def);
  let bytes: Uint8Array;
  try {
    bytes = Deno.readFileSync(`${dir}/${file}`);
  } catch (e) {
    problems.push({
      source: file,
      message: e instanceof Deno.errors.NotFound ? "missing" : `unreadable (${oneLine(e)})`,
    });
    return emptyColumns(cdef);
  }
  const r = readArrowColumns(bytes, cdef);
  if ("error" in r) {
    problems.push({ source: file, message: r.error });
    return emptyColumns(cdef);
  }
  if (r.damaged) problems.push({ source: file, message: r.damaged });
  return r.columns;
}
