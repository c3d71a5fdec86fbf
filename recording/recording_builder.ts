/**
 * Builds recordings from rows with the format's own writer (arrow_writer.ts): rows of each
 * table, a manifest, and ways to leave a table out, write it empty, batch it differently or
 * write raw bytes instead — so that tests and the fuzzer can start from a real recording,
 * add, change or damage what it holds, and analyse the result.
 */
import { join } from "node:path";
import type { TableDef } from "../kit/columns.ts";
import { isFile } from "../kit/files.ts";
import { ArrowStreamWriter } from "./arrow_writer.ts";
import { readRecording, type Recording } from "./recording.ts";
import {
  CAPTURE_TABLES,
  type FileRow,
  type IpcRow,
  type NetRow,
  OPTIONAL_TABLES,
  type PrivilegeRow,
  type ProcessRow,
  type TlsRow,
  UNUSED_PROCESS_COLUMNS,
} from "./schema.ts";

/** What one table file holds: rows (written in batches), raw bytes, or nothing (no file). */
export type TableContent<R> =
  | R[]
  | { rows: R[]; batchRows?: number; def?: TableDef }
  | { bytes: Uint8Array }
  | null;

export interface RecordingParts {
  /** the manifest as an object or raw text; null: no manifest.json */
  manifest: Record<string, unknown> | string | null;
  process: TableContent<ProcessRow>;
  file: TableContent<FileRow>;
  net: TableContent<NetRow>;
  tls: TableContent<TlsRow>;
  /** left out (undefined) as a recording made before the table was */
  privilege?: TableContent<PrivilegeRow>;
  ipc?: TableContent<IpcRow>;
}

/**
 * The manifest and the rows of the tables of a recording directory (readRecording): the four
 * core tables, and `privilege` and `ipc` when their files are there (null when not).
 */
export function readParts(
  dir: string,
): Pick<Recording, "manifest" | "process" | "file" | "net" | "tls"> & {
  privilege: PrivilegeRow[] | null;
  ipc: IpcRow[] | null;
} {
  const { manifest, process, file, net, tls, privilege, ipc } = readRecording(dir);
  return {
    manifest,
    process,
    file,
    net,
    tls,
    privilege: isFile(join(dir, "privilege.arrow")) ? privilege : null,
    ipc: isFile(join(dir, "ipc.arrow")) ? ipc : null,
  };
}

/** Writes a recording directory (created, must not hold the files yet). */
export function writeRecording(dir: string, parts: RecordingParts): string {
  Deno.mkdirSync(dir, { recursive: true });
  if (parts.manifest !== null) {
    const text = typeof parts.manifest === "string"
      ? parts.manifest
      : JSON.stringify(parts.manifest, null, 2);
    Deno.writeTextFileSync(join(dir, "manifest.json"), text);
  }
  for (const def of [...CAPTURE_TABLES, ...OPTIONAL_TABLES]) {
    const content = parts[def.name as keyof RecordingParts] as TableContent<
      Record<string, unknown>
    >;
    if (content === null || typeof content !== "object") continue;
    const path = join(dir, `${def.name}.arrow`);
    if ("bytes" in content) {
      Deno.writeFileSync(path, content.bytes);
      continue;
    }
    const rows = Array.isArray(content) ? content : content.rows;
    const batch = Array.isArray(content) ? 1000 : content.batchRows ?? 1000;
    const w = ArrowStreamWriter.create(path, (!Array.isArray(content) && content.def) || def);
    rows.forEach((r, i) => {
      w.append(r as never);
      if ((i + 1) % batch === 0) w.flush();
    });
    w.close();
  }
  return dir;
}

/** A process row with the columns a kind does not use left empty, as the capture writes it. */
export function processRow(
  r: Pick<ProcessRow, "ts_ns" | "pid" | "ppid" | "kind" | "comm"> & Partial<ProcessRow>,
): ProcessRow {
  return { tid: r.pid, uid: 0, ...UNUSED_PROCESS_COLUMNS, ...r };
}

/** A file event row (an open unless said otherwise). */
export function fileRow(
  r: Pick<FileRow, "ts_ns" | "pid" | "path"> & Partial<FileRow>,
): FileRow {
  return {
    tid: r.pid,
    op: "open",
    path2: null,
    raw_path: r.path,
    raw_path2: null,
    flags: 0n,
    mode: 0,
    ret: 3n,
    path_incomplete: false,
    ...r,
  };
}
