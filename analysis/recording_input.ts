/**
 * Opening a recording for analysis: checks that a directory is a Sightline recording, reads
 * its manifest (if readable) and its Arrow files into columns, and turns everything that
 * is wrong into one-line problems naming the file — a missing or corrupt file costs that
 * table, not the analysis.
 */
import { basename, resolve } from "node:path";
import type { TableDef } from "../kit/columns.ts";
import {
  type Manifest,
  MANIFEST_FILE,
  readManifestJson,
  recordingFiles,
  restatesRows,
} from "../recording/manifest.ts";
import type { BlindSpot } from "../recording/blind_spots.ts";

type Fields = Partial<Record<keyof Manifest, unknown>>;
import { type Columns, emptyColumns, oneLine, readArrowColumns } from "../recording/arrow_input.ts";
import { RAW_TABLES } from "./schema.ts";

/** What the analysis reads from a manifest, whatever its format version. */
export interface ManifestInfo {
  command: string[] | null;
  started_ns: bigint | null;
  ended_ns: bigint | null;
  exit_code: number | null;
  complete: boolean;
  host: string | null;
  tool_version: string | null;
  /** rows the capture wrote per table file (`process.arrow` -> n), when the manifest says */
  rows: Record<string, number>;
  /** what the recording cannot show, as its manifest states (null: it states none) */
  blind_spots: BlindSpot[] | null;
}

/** The format version this analysis reads (recording/manifest.ts). */
export const MANIFEST_VERSION = 1;

export interface RecordingInput {
  /** the `recording` value: the directory name */
  name: string;
  dir: string;
  /** the manifest as read (any version), when it is one */
  manifest: Manifest | null;
  /** what the analysis uses from it */
  info: ManifestInfo | null;
  tables: Map<string, Columns>;
  /** `file: message` lines; `kind` as in `problems` (default `file`) */
  problems: { source: string; message: string; kind?: string }[];
}

/** A directory that is not a recording at all; the message is one line. */
export class NotARecording extends Error {}

/** The file each raw table is read from. */
export const RAW_FILES: Record<string, string> = {
  process: "process.arrow",
  file: "file.arrow",
  net: "net.arrow",
  tls: "tls.arrow",
  privilege: "privilege.arrow",
  ipc: "ipc.arrow",
};

/**
 * Table files that recordings made before a version lack (privilege.arrow, since 0.2.0): such a
 * file missing is a problem only when the manifest lists it.
 */
const ADDED_FILES: ReadonlySet<string> = new Set(["privilege.arrow"]);

/** Tables whose file may be absent: the capture recorded none of them (not a problem). */
const OPTIONAL = new Set(["ipc"]);

/**
 * Whether raw table `def`'s file must be there: an added or optional table's file is expected
 * only when the manifest lists it (a missing one is otherwise no problem: an empty table).
 */
export function fileExpected(info: ManifestInfo | null, def: TableDef): boolean {
  const file = RAW_FILES[def.name];
  return !(ADDED_FILES.has(file) || OPTIONAL.has(def.name)) || info?.rows[file] !== undefined;
}

/** The capture table a raw table def was made from (its columns minus `recording`). */
function captureColumns(def: TableDef): TableDef {
  return { ...def, columns: def.columns.filter((c) => c.name !== "recording") };
}

/**
 * Opens recording directory `path`: its manifest and, unless `tables` is false (the caller
 * streams the files itself, see `analysis/arrow_load.ts`), its raw tables read into columns.
 */
export function openRecording(path: string, opts: { tables?: boolean } = {}): RecordingInput {
  const dir = resolve(path);
  let st: Deno.FileInfo;
  try {
    st = Deno.statSync(dir);
  } catch {
    throw new NotARecording(`${path}: no such directory`);
  }
  if (!st.isDirectory) throw new NotARecording(`${path}: not a directory (a recording is one)`);
  // a recording this user may not read (a capture's directory is 0700, its files 0600): one
  // line saying so, not "not a recording" nor an analysis of nothing with every file "damaged";
  // one table file unreadable among others is that file's problem (the rest is analysed)
  const denied = permissionDenied(dir);
  if (denied) {
    const how = Deno.uid() === 0 ? "" : " or with sudo";
    throw new NotARecording(
      `${path}: cannot read ${denied} (permission denied): analyse it as its owner${how}`,
    );
  }
  const problems: RecordingInput["problems"] = [];
  let manifest: Manifest | null = null;
  let info: ManifestInfo | null = null;
  try {
    const m = readManifestJson(dir) as Manifest;
    info = manifestInfo(m, (message) => problems.push({ source: "manifest.json", message }));
    if (info) {
      manifest = m;
      problems.push(...captureLosses(m));
    }
  } catch (e) {
    const missing = e instanceof Deno.errors.NotFound;
    problems.push({
      source: "manifest.json",
      message: missing ? "missing" : `unreadable (${oneLine(e)})`,
    });
  }
  const present = Object.entries(RAW_FILES).filter(([t]) => !OPTIONAL.has(t)).map(([, f]) => f)
    .filter((f) => {
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
  for (const def of opts.tables === false ? [] : RAW_TABLES) {
    const before = problems.length;
    const file = RAW_FILES[def.name];
    const cols = readTable(dir, def, problems, fileExpected(info, def));
    tables.set(def.name, cols);
    if (problems.length === before) {
      const missing = missingRows(info, file, cols.length);
      if (missing) problems.push({ source: file, message: missing });
    }
  }
  return { name: basename(dir), dir, manifest, info, tables, problems };
}

/** What of the recording in `dir` this user may not read so that nothing of it can be analysed
 * (the directory, its manifest, or every one of its table files), or null. */
function permissionDenied(dir: string): string | null {
  let names: string[];
  try {
    names = recordingFiles(dir);
  } catch (e) {
    return e instanceof Deno.errors.PermissionDenied ? "the directory" : null;
  }
  const denied = (name: string) => {
    try {
      Deno.openSync(`${dir}/${name}`).close();
      return false;
    } catch (e) {
      return e instanceof Deno.errors.PermissionDenied;
    }
  };
  if (names.includes(MANIFEST_FILE) && denied(MANIFEST_FILE)) return MANIFEST_FILE;
  const tables = names.filter((n) => n.endsWith(".arrow"));
  if (tables.length && tables.every(denied)) {
    return tables.length === 1 ? tables[0] : `any of its table files (${tables.join(", ")})`;
  }
  return null;
}

/**
 * Rows the capture wrote to `file` (says the manifest) that were not read from it, said in one
 * line; null when none are missing. A file cut at a batch boundary reads clean: only this tells.
 */
export function missingRows(
  info: ManifestInfo | null,
  file: string,
  read: number,
  cause = "the file was cut short",
): string | null {
  const written = info?.rows[file];
  if (written === undefined || read >= written) return null;
  return `${written - read} of the ${written} rows the manifest lists are missing (${cause})`;
}

const nsOf = (ns: unknown, iso: unknown): bigint | null => {
  if (typeof ns === "string" && /^\d+$/.test(ns)) return BigInt(ns);
  if (typeof ns === "number" && Number.isSafeInteger(ns)) return BigInt(ns);
  const ms = typeof iso === "string" ? Date.parse(iso) : NaN;
  return Number.isFinite(ms) ? BigInt(ms) * 1_000_000n : null;
};
const strOf = (v: unknown) => (typeof v === "string" ? v : null);

/**
 * The fields the analysis uses from a manifest of any version: the current one; an older one
 * (no `format` and `format_version`, nanosecond times missing or as numbers, the command as
 * one string); a newer one (read as the current, and said). Anything else is not a manifest.
 */
export function manifestInfo(m: unknown, problem: (message: string) => void): ManifestInfo | null {
  if (!m || typeof m !== "object" || Array.isArray(m)) {
    problem("not a Sightline manifest (not a JSON object)");
    return null;
  }
  const f = m as Fields;
  if (f.format !== undefined && f.format !== "sightline-recording") {
    problem("not a Sightline manifest (format)");
    return null;
  }
  const version = f.format_version;
  if (typeof version === "number" && version > MANIFEST_VERSION) {
    problem(
      `format_version ${version} is newer than this analysis reads (${MANIFEST_VERSION}); ` +
        `read as ${MANIFEST_VERSION}`,
    );
  }
  const wrong = wrongTypes(f);
  if (wrong.length) {
    problem(`fields of an unexpected type, not used: ${wrong.join("; ")}`);
  }
  const absent = REQUIRED_FIELDS.filter(([name]) => f[name] === undefined);
  if (absent.length) {
    problem(
      `lacks ${absent.map(([name]) => name).join(" and ")}, which every manifest a capture ` +
        `writes holds (recording/RECORDING.md): ${absent.map(([, lost]) => lost).join("; ")}`,
    );
  }
  const cmd = f.command;
  const tool = f.tool as { version?: unknown } | undefined;
  return {
    command: Array.isArray(cmd) ? cmd.map(String) : typeof cmd === "string" ? [cmd] : null,
    started_ns: nsOf(f.started_ns, f.started_at),
    ended_ns: nsOf(f.ended_ns, f.ended_at),
    exit_code: Number.isInteger(f.exit_code) ? f.exit_code as number : null,
    complete: f.complete === true,
    host: strOf(f.host),
    tool_version: strOf(tool?.version),
    rows: tableRows(f.tables),
    blind_spots: blindSpots(f.blind_spots),
  };
}

/**
 * Manifest fields every capture has written since the first format (recording/manifest.ts
 * `startManifest`: `complete` false until it ends, `tables` filled at each flush), with what the
 * analysis cannot tell without each. Absent, the recording is read as if the field said the
 * least (not complete; no row counts), and a problem of kind `file` says so.
 */
const REQUIRED_FIELDS: [keyof Manifest, string][] = [
  ["complete", "whether the capture ended cleanly is unknown (read as not)"],
  ["tables", "rows missing from its table files (a file cut short) cannot be told"],
];

/** What a JSON value is, in a word, for saying what a manifest field held instead. */
const kindOf = (v: unknown) =>
  v === null
    ? "null"
    : Array.isArray(v)
    ? "a list"
    : typeof v === "object"
    ? "an object"
    : `a ${typeof v === "number" && !Number.isSafeInteger(v) ? "fraction" : typeof v}`;
const isCount = (v: unknown) => Number.isSafeInteger(v) && (v as number) >= 0;
const isNs = (v: unknown) =>
  (typeof v === "string" && /^\d+$/.test(v)) || (Number.isSafeInteger(v) && (v as number) >= 0);
const isTime = (v: unknown) => typeof v === "string" && Number.isFinite(Date.parse(v));
const orNull = (is: (v: unknown) => boolean) => (v: unknown) => v === null || is(v);

/** The manifest fields the analysis reads: what each must be, and a test of it. */
const FIELD_TYPES: [string, string, (v: unknown) => boolean][] = [
  ["format_version", "a number", (v) => typeof v === "number"],
  [
    "command",
    "a list of strings or one string",
    orNull((v) =>
      typeof v === "string" || (Array.isArray(v) && v.every((a) => typeof a === "string"))
    ),
  ],
  ["started_ns", "nanoseconds", isNs],
  ["ended_ns", "nanoseconds", orNull(isNs)],
  ["started_at", "an ISO time", isTime],
  ["ended_at", "an ISO time", orNull(isTime)],
  ["exit_code", "an integer", orNull(Number.isInteger)],
  ["complete", "true or false", (v) => typeof v === "boolean"],
  ["host", "a string", (v) => typeof v === "string"],
  ["mode", "command, pid or comm", (v) => v === "command" || v === "pid" || v === "comm"],
  ["tool", "an object", (v) => !!v && typeof v === "object" && !Array.isArray(v)],
  ["tables", "an object of tables", (v) => !!v && typeof v === "object" && !Array.isArray(v)],
  ["missed_runs", "a count", isCount],
  ["blind_spots", "a list", Array.isArray],
];

/**
 * Fields of `f` the analysis reads that hold another type than the manifest's (each as
 * `name (X; Y expected)`): they are not used, and the analysis says so rather than quietly
 * going on as if the field were absent. Absent fields are not listed (older manifests).
 */
function wrongTypes(f: Fields): string[] {
  const out: string[] = [];
  const say = (name: string, v: unknown, expected: string) =>
    out.push(`${name} (${kindOf(v)}; ${expected} expected)`);
  const fields = f as Record<string, unknown>;
  for (const [name, expected, ok] of FIELD_TYPES) {
    const v = fields[name];
    if (v !== undefined && !ok(v)) say(name, v, expected);
  }
  const tool = fields.tool;
  if (tool && typeof tool === "object" && !Array.isArray(tool)) {
    const v = (tool as Record<string, unknown>).version;
    if (v !== undefined && typeof v !== "string") say("tool.version", v, "a string");
  }
  const tables = fields.tables;
  if (tables && typeof tables === "object" && !Array.isArray(tables)) {
    for (const [name, t] of Object.entries(tables as Record<string, unknown>)) {
      if (!t || typeof t !== "object" || Array.isArray(t)) {
        say(`tables.${name}`, t, "an object");
        continue;
      }
      const { file, rows, lost } = t as Record<string, unknown>;
      if (file !== undefined && typeof file !== "string") {
        say(`tables.${name}.file`, file, "a string");
      }
      if (rows !== undefined && !isCount(rows)) say(`tables.${name}.rows`, rows, "a count");
      if (lost !== undefined && !isCount(lost)) say(`tables.${name}.lost`, lost, "a count");
    }
  }
  if (Array.isArray(fields.blind_spots)) {
    const bad = fields.blind_spots.filter((b) => {
      const { id, what } = (b ?? {}) as Record<string, unknown>;
      return typeof id !== "string" || typeof what !== "string";
    }).length;
    if (bad) out.push(`blind_spots (${bad} without an id and a text)`);
  }
  return out;
}

/**
 * What the manifest says was lost of the byte streams (TLS plaintext and `ipc`: records the
 * kernel dropped, rows the disk refused), in a few words, or null when it states no such loss.
 * An answer whose end is not recorded cannot then be taken for one the client left open.
 */
export function statedStreamLoss(m: Manifest | null): string | null {
  if (!m) return null;
  const f = m as unknown as Fields;
  const num = (v: unknown) => (typeof v === "number" && v > 0 ? v : 0);
  const drops = f.drops && typeof f.drops === "object" ? f.drops as Record<string, unknown> : {};
  const tables = f.tables && typeof f.tables === "object"
    ? f.tables as Record<string, Record<string, unknown> | undefined>
    : {};
  const said: string[] = [];
  for (const kind of ["tls", "ipc"]) {
    const d = num(drops[kind]);
    if (d) said.push(`${d} ${kind} record${d === 1 ? "" : "s"} dropped by the kernel`);
    const lost = num(tables[kind]?.lost);
    if (lost) said.push(`${lost} ${kind}.arrow row${lost === 1 ? "" : "s"} not written`);
  }
  return said.length ? said.join(", ") : null;
}

/**
 * What the capture itself says it lost or got wrong (manifest `drops`, `missed_runs`,
 * `errors`, `warnings`, `complete`), as problems: an analysis of a lossy recording must say so where
 * its user looks, not only in the capture's summary.
 */
export function captureLosses(m: Fields): RecordingInput["problems"] {
  const out: RecordingInput["problems"] = [];
  const malformed = (message: string) =>
    out.push({ source: "manifest.json", kind: "file", message });
  const isMap = (v: unknown) => !!v && typeof v === "object" && !Array.isArray(v);
  if (m.drops !== undefined && !isMap(m.drops)) {
    malformed("drops is not an object of counts per kind: what the capture dropped is unknown");
  }
  const drops = isMap(m.drops) ? m.drops as Record<string, unknown> : {};
  for (const [kind, n] of Object.entries(drops)) {
    if (typeof n === "number" && n > 0) {
      out.push({
        source: "capture",
        kind: "lost",
        message: `the kernel dropped ${n} ${kind} record${n === 1 ? "" : "s"} (ring buffer ` +
          (kind === "argv"
            ? "full): pieces of long command lines; those execs' argv end early"
            : "full): those events are not in the recording"),
      });
    }
  }
  // rows the capture had but could not write (the disk full): manifest tables' `lost`
  const tables = isMap(m.tables) ? m.tables as Record<string, unknown> : {};
  for (const [name, t] of Object.entries(tables)) {
    const { file, rows, lost } = (isMap(t) ? t : {}) as Record<string, unknown>;
    if (!Number.isSafeInteger(lost) || (lost as number) <= 0) continue;
    const n = lost as number;
    out.push({
      source: typeof file === "string" ? file : `${name}.arrow`,
      kind: "lost",
      message: `${n} row${n === 1 ? "" : "s"} the capture had could not be written (the disk ` +
        `refused ${n === 1 ? "it" : "them"})` +
        (Number.isSafeInteger(rows) ? `: the file has the other ${rows}` : ""),
    });
  }
  // exec command lines longer than the capture keeps, or short by bytes lost (absent before
  // the capture kept more than 16 KiB: those cut rows are flagged in argv_truncated only)
  if (m.exec_argv !== undefined && !isMap(m.exec_argv)) {
    malformed("exec_argv is not an object of counts: which command lines are whole is unknown");
  }
  const argv = (isMap(m.exec_argv) ? m.exec_argv : {}) as Record<string, unknown>;
  const count = (v: unknown) => Number.isSafeInteger(v) && (v as number) > 0 ? v as number : 0;
  const execs = (n: number) => `${n} exec${n === 1 ? "" : "s"}`;
  const bytes = (v: unknown) => count(v) ? `${count(v)} bytes` : "bytes";
  const argvProblems = [
    [
      count(argv.cut),
      "truncated",
      (n: number) =>
        `${execs(n)} had a command line longer than the ${bytes(argv.max_bytes)} the capture ` +
        "keeps, cut there (argv_truncated): argv, the command lines shown and the links' " +
        "argument matching see only its start",
    ],
    [
      count(argv.lost),
      "lost",
      (n: number) =>
        `${execs(n)} had ${bytes(argv.lost_bytes)} of ${
          n === 1 ? "its command line" : "their command lines"
        } lost (ring buffer full, or memory the kernel could not read; argv_truncated): ` +
        "argv ends early",
    ],
  ] as const;
  for (const [n, kind, message] of argvProblems) {
    if (n) out.push({ source: "process.arrow", kind, message: message(n) });
  }
  if (typeof m.missed_runs === "number" && m.missed_runs > 0) {
    out.push({
      source: "capture",
      kind: "lost",
      message: `the kernel skipped ${m.missed_runs} eBPF program run${
        m.missed_runs === 1 ? "" : "s"
      } (recursion protection): events not seen`,
    });
  }
  if (m.errors !== undefined && !Array.isArray(m.errors)) {
    malformed("errors is not a list: what the capture reported is unknown");
  }
  for (const e of Array.isArray(m.errors) ? m.errors : []) {
    out.push({ source: "capture", kind: "capture", message: oneLine(String(e)) });
  }
  // what the capture warned of (a hook dropped for seeing ciphertext, bytes lost or cut, the
  // loader killed, files the gate could not be told of): said where the analysis is read too
  if (m.warnings !== undefined && !Array.isArray(m.warnings)) {
    malformed("warnings is not a list: what the capture warned of is unknown");
  }
  const errors = new Set(Array.isArray(m.errors) ? m.errors.map(String) : []);
  for (const w of Array.isArray(m.warnings) ? m.warnings : []) {
    if (restatesRows(String(w))) continue; // said from the rows (gap, truncated, running, blind)
    if (errors.has(String(w))) continue; // the loader's fatal line: an error already
    out.push({ source: "capture", kind: "capture", message: `warning: ${oneLine(String(w))}` });
  }
  // a start interrupted by a signal is said by its error (capture_signals.ts' interruptedStart):
  // its recording has no command's events to stop early
  const interrupted = [...errors].some((e) =>
    /^the capture was interrupted \(SIG[A-Z]+\) while it started: /.test(e)
  );
  if (m.complete === false && !interrupted) {
    out.push({
      source: "capture",
      kind: "capture",
      message: "the capture did not end cleanly (manifest complete: false): the recording " +
        "may stop early",
    });
  }
  return out;
}

/** `blind_spots` of a manifest; entries without an id and a text are left out. */
function blindSpots(v: unknown): BlindSpot[] | null {
  if (!Array.isArray(v)) return null;
  return v.flatMap((b) => {
    const { id, title, what, count } = (b ?? {}) as Record<string, unknown>;
    if (typeof id !== "string" || typeof what !== "string") return [];
    return [{
      id,
      what,
      ...(typeof title === "string" ? { title } : {}),
      ...(Number.isSafeInteger(count) ? { count: count as number } : {}),
    }];
  });
}

/** `tables` of a manifest as file -> rows written; what is not a count is left out. */
function tableRows(tables: unknown): Record<string, number> {
  const out: Record<string, number> = {};
  if (!tables || typeof tables !== "object") return out;
  for (const [name, t] of Object.entries(tables as Record<string, unknown>)) {
    const { file, rows } = (t ?? {}) as { file?: unknown; rows?: unknown };
    if (Number.isSafeInteger(rows)) {
      out[typeof file === "string" ? file : `${name}.arrow`] = rows as number;
    }
  }
  return out;
}

/** Reads one table's Arrow file of a recording directory; problems are added to `problems`. */
export function readTable(
  dir: string,
  def: TableDef,
  problems: RecordingInput["problems"] = [],
  /** a missing file is a problem (false: the recording predates the table) */
  expected = true,
): Columns {
  const file = RAW_FILES[def.name];
  const cdef = captureColumns(def);
  let bytes: Uint8Array;
  try {
    bytes = Deno.readFileSync(`${dir}/${file}`);
  } catch (e) {
    if (!expected && e instanceof Deno.errors.NotFound) return emptyColumns(cdef);
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
