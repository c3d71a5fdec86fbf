/**
 * manifest.json of a recording: what was run, when, where, how it ended, how many rows each
 * table got, what was dropped, and the attach report (what was hooked, how, and what was
 * seen but not hooked, with the reason). Written when the capture starts (complete: false),
 * refreshed while it runs, and finally when it ends.
 */

import type { BlindSpot, UringCounts } from "./blind_spots.ts";
import { parseJsonText } from "../kit/json_text.ts";

export const TOOL_NAME = "sightline";
/**
 * Sightline's version, as deno.json says it (manifest_test.ts holds them together); its minor
 * part goes up when what a capture records changes (0.3.0: manifest `exec_argv`, command lines
 * up to 1 MiB; 0.4.0: an exit row's `comm` is the process's main thread's), its patch part when
 * it records more of what a process did (0.5.2: entering namespaces, in `privilege`; 0.5.3: groups and capabilities set, DNS questions on any UDP port). Nothing
 * compares it: readers go by the files and fields a recording has.
 */
export const TOOL_VERSION = "0.5.5";
export const MANIFEST_FILE = "manifest.json";
/**
 * Whether a file in a recording's directory is one of the recording's own (its manifest or an
 * Arrow table), not something built beside it (analysis.duckdb, a report).
 */
export const isRecordingFile = (name: string): boolean =>
  name === MANIFEST_FILE || name.endsWith(".arrow");

/** The names of the recording's own files in `dir` (see `isRecordingFile`), sorted. */
export function recordingFiles(dir: string): string[] {
  return [...Deno.readDirSync(dir)].filter((e) => e.isFile && isRecordingFile(e.name))
    .map((e) => e.name).sort();
}

/**
 * Copies the recording in `from` into directory `to` (made, with its parents, if missing): its
 * own files, not what was built beside it (analysis.duckdb, a report, a fixture's notes).
 * Returns `to`.
 */
export function copyRecording(from: string, to: string): string {
  Deno.mkdirSync(to, { recursive: true });
  for (const name of recordingFiles(from)) Deno.copyFileSync(`${from}/${name}`, `${to}/${name}`);
  return to;
}

export interface Manifest {
  format: "sightline-recording";
  format_version: 1;
  tool: { name: string; version: string };
  complete: boolean;
  mode: "command" | "pid" | "comm";
  command: string[] | null;
  target_pids: number[];
  target_comm: string | null;
  cwd: string;
  uid: number;
  host: string;
  kernel: string;
  /**
   * The capture's own network and mount namespaces (inode numbers, from /proc/self/ns); a
   * process or network row in another one was inside a sandbox or container (since 0.5.0;
   * absent before, or where /proc did not say)
   */
  namespaces?: { net: number | null; mnt: number | null };
  started_at: string;
  started_ns: string;
  ended_at: string | null;
  ended_ns: string | null;
  exit_code: number | null;
  exit_signal: number | null;
  root_pid: number | null;
  /** `ipc`: pipes and unix sockets carrying JSON-RPC were recorded (absent in older ones) */
  options: { max_tls_bytes: number; keep_secrets: boolean; gate: boolean; ipc?: boolean };
  /**
   * rows and bytes in each table's file; `lost`: rows the capture had but could not write (the
   * disk full; since 0.2.0, absent when none)
   */
  tables: Record<string, { file: string; rows: number; bytes: number; lost?: number }>;
  tls_bytes: number;
  drops: Record<string, number>;
  /**
   * exec command lines: the bytes of an argv block recorded at most (1 MiB), the execs whose
   * block was longer and was cut there, and those short by bytes the kernel could not deliver
   * (`lost_bytes`); both have `argv_truncated`. Absent: a capture from before it kept more than
   * 16 KiB (every longer block was cut, flagged only in `argv_truncated`). Since 0.3.0.
   */
  exec_argv?: { max_bytes: number; cut: number; lost: number; lost_bytes: number };
  /** program runs the kernel skipped (bpf recursion protection): events not seen */
  missed_runs: number;
  gated_processes: number;
  attach: unknown;
  /**
   * io_uring requests of traced processes by opcode name, those recorded, those that acted
   * in ways not decoded, and recorded ones whose completion never came (since 0.2.0)
   */
  io_uring?: UringCounts & { not_decoded: Record<string, number>; no_completion: number };
  /** what this recording cannot show: recording/blind_spots.ts (since 0.2.0) */
  blind_spots?: BlindSpot[];
  warnings: string[];
  errors: string[];
  /**
   * set when a resident capture (`capture --serve`) recorded this as one of its sessions
   * (`capture --via`): its pid, its socket and the session's number since it started (since
   * 0.5.2; absent for a capture of its own)
   */
  served_by?: ResidentInfo;
}

/** A resident capture that recorded a session (Manifest.served_by). */
export interface ResidentInfo {
  pid: number;
  socket: string;
  session: number;
  /** the session's loader: the resident capture's kept one (its pid), or one of its own (why) */
  loader: { kept: true; pid: number } | { kept: false; why: string };
}

/**
 * Writes manifest.json atomically (temp file + rename), mode 0600; returns the text written. With
 * `previous`, what an earlier call returned, an unchanged manifest is not written again (a
 * capture rewrites it every few seconds: capture/manifest_pacer.ts).
 */
export function writeManifest(dir: string, m: Manifest, previous?: string): string {
  const text = JSON.stringify(m, null, 2) + "\n";
  if (text === previous) return text;
  const tmp = `${dir}/.${MANIFEST_FILE}.tmp`;
  try {
    Deno.writeTextFileSync(tmp, text, { mode: 0o600 });
    Deno.renameSync(tmp, `${dir}/${MANIFEST_FILE}`);
  } catch (e) {
    try {
      Deno.removeSync(tmp); // the previous manifest.json stays as it was
    } catch { /* not there */ }
    throw e;
  }
  return text;
}

/**
 * Whether a manifest warning restates what the recording's own rows and blind spots show, so an
 * analysis (which says those from the rows) need not repeat it: the capture's end-of-run
 * summaries of stream damage (`tls: `, `ipc: `), of cut or short command lines (`exec: `), of
 * processes still running at its end, and the loader's io_uring tracepoints not attached.
 */
export function restatesRows(warning: string): boolean {
  return /^(tls|ipc|exec): /.test(warning) ||
    /^\d+ traced process(es)? had not exited when the capture ended /.test(warning) ||
    /: actions taken through io_uring are not recorded$/.test(warning);
}

/**
 * The JSON value in `dir`'s manifest.json, unchecked; a leading byte order mark (an editor
 * saved it) ignored (kit/json_text.ts).
 */
export function readManifestJson(dir: string): unknown {
  return parseJsonText(Deno.readTextFileSync(`${dir}/${MANIFEST_FILE}`));
}

export function readManifest(dir: string): Manifest {
  return readManifestJson(dir) as Manifest;
}

export function nsToIso(ns: bigint): string {
  return new Date(Number(ns / 1_000_000n)).toISOString();
}
