/**
 * `deno task analyze RECORDING...`: builds `analysis.duckdb` beside each recording — the raw
 * tables as recorded plus http_exchanges, sse_events, ws_messages, llm_calls, tool_calls,
 * processes, problems and the event views — and prints a short summary of each.
 *
 * The database is built in a private temporary directory and renamed into place, so a rebuild
 * replaces it whole (same input, same rows) and a failed build leaves the old one; it is made
 * mode 0600 (it holds prompts). A recording that cannot be opened at all is reported in one
 * line and skipped; damaged parts of a recording become rows of `problems` and a line each,
 * and what its other files hold is still analysed. The others are analysed all the same, and a
 * last line names the recordings that failed.
 * Exit code: 0 when every recording was analysed from intact files; 1 when any could not be
 * analysed, or was analysed from damaged files (its manifest or a table file missing,
 * unreadable or cut short: problems of kind `file`); 2 for usage. What the capture itself
 * says it lost (dropped events, an unclean end) and processes still running are problems, not
 * failures.
 */
import { join } from "node:path";
import {
  aboutPath,
  onceEach,
  removeAbandoned,
  tempDirRemovedOnStop,
  usageError,
} from "../kit/cli.ts";
import { type DuckDBConnection, DuckDBInstance } from "../kit/duckdb.ts";
import { Build } from "./build_steps.ts";
import { loadPrices, type PriceTable } from "./pricing.ts";
import { blindSpotRows } from "./blind_spot_rows.ts";
import {
  fileExpected,
  missingRows,
  NotARecording,
  openRecording,
  RAW_FILES,
  type RecordingInput,
  statedStreamLoss,
} from "./recording_input.ts";
import {
  ALL_TABLES,
  blindSpotsTable,
  type ProblemRow,
  problemsTable,
  RAW_TABLES,
  type RecordingsRow,
  recordingsTable,
} from "./schema.ts";
import { RULES_SQL, type SqlName, sqlText, SUMMARY_SQL } from "./sql_files.ts";
import { runBuildSql } from "./build_sql.ts";
import { deepCallersProblem, deepForksProblem, deepLaunchersProblem } from "./deep_forks.ts";
import { oneLine } from "../recording/arrow_input.ts";
import { formatResult, type ResultSet } from "./table_output.ts";
import { buildLinksAndFindings, formatFindings } from "./detect/mod.ts";
import { writeHttpTables } from "./http_store.ts";
import { TlsByteScratch } from "./tls_stream.ts";
import { duckdbConfig, memoryAdvice } from "./duckdb_open.ts";
import { stampRevision } from "./analysis_version.ts";
import { filesStampOf, stampFiles } from "./files_stamp.ts";
import { keepLabels } from "./kept_labels.ts";
import { blindNetProblems } from "./loopback_unseen.ts";
import { unnamedAgentsProblem } from "./unnamed_agents.ts";
import { unpricedCallsProblem } from "./unpriced_calls.ts";
import { incompletePathsProblem, rootChangesProblem } from "./file_path_problems.ts";
import { showLine } from "../kit/control_chars.ts";

export const DB_FILE = "analysis.duckdb";

export interface AnalyzeOptions {
  recordings: string[];
  /** a price table to use instead of analysis/prices.json */
  prices?: string;
  /** no progress lines */
  quiet?: boolean;
  /** DuckDB's memory limit (e.g. `1GB`); when not given, `defaultMemoryLimit()` of
   * duckdb_open.ts (a quarter of RAM, at most 512 MiB) */
  memoryLimit?: string;
  /** where the summary goes (default stdout) */
  out?: (text: string) => void;
  /** where progress and problems go (default stderr) */
  err?: (text: string) => void;
}

export interface RecordingSummary {
  recording: string;
  dir: string;
  db: string;
  problems: string[];
  /** the files among the problems' sources that are missing, unreadable or cut short */
  damagedFiles: string[];
  totals: Record<string, unknown>;
  models: ResultSet;
  tools: ResultSet;
  files: ResultSet;
  /** links and findings, as formatted by analysis/detect */
  findings: string;
}

const encoder = new TextEncoder();
const writeOut = (s: string) => Deno.stdout.writeSync(encoder.encode(s));
const writeErr = (s: string) => Deno.stderr.writeSync(encoder.encode(s));

/** Progress lines, at most one a second per step. */
function progressPrinter(err: (s: string) => void, quiet: boolean, name: string) {
  let last = 0;
  return (step: string, force = false) => {
    if (quiet) return;
    const now = performance.now();
    if (!force && now - last < 1000) return;
    last = now;
    err(`analyze: ${name}: ${step}\n`);
  };
}

function manifestRow(input: RecordingInput, rowsRead: number, problems: number): RecordingsRow {
  const m = input.info;
  return {
    recording: input.name,
    path: input.dir,
    command: m?.command ?? null,
    started_ns: m?.started_ns ?? null,
    ended_ns: m?.ended_ns ?? null,
    exit_code: m?.exit_code ?? null,
    complete: m?.complete ?? false,
    host: m?.host ?? null,
    tool_version: m?.tool_version ?? null,
    rows_read: BigInt(rowsRead),
    problems: BigInt(problems),
  };
}

async function query(c: DuckDBConnection, sql: string, params: string[]): Promise<ResultSet> {
  const r = await c.runAndReadAll(sql, params);
  return { columns: r.columnNames(), rows: r.getRows() };
}

/**
 * Traced processes with no end (a daemon the command left behind, what ran on at the Ctrl-C of
 * a --pid capture, an exit the kernel dropped): the recording stops for them before they did,
 * which is a problem to say, not a blank `end_ns` to notice.
 */
async function outlivedProblem(c: DuckDBConnection, b: Build, recording: string) {
  let rows: unknown[][];
  try {
    rows = (await query(c, sqlText("processes_outlived"), [recording])).rows;
  } catch {
    return; // processes.sql failed: already a problem of its own
  }
  if (!rows.length) return;
  const n = rows.length;
  const shown = rows.slice(0, 5).map(([pid, comm]) => `pid ${pid}${comm ? ` ${comm}` : ""}`);
  const more = n > 5 ? ` and ${n - 5} more` : "";
  b.problem(
    "processes",
    "running",
    `${n} traced process${n === 1 ? " has" : "es have"} no recorded exit (${shown.join(", ")}` +
      `${more}): still running when the capture ended, or the exit was lost; what ` +
      `${n === 1 ? "it" : "they"} did afterwards is not recorded`,
  );
}

/** Builds `analysis.duckdb` for one recording; returns its summary. */
export async function analyzeRecording(
  path: string,
  prices: PriceTable,
  opts: {
    quiet?: boolean;
    err?: (s: string) => void;
    /** told how long each phase took: read, load, parse, build, summary */
    onPhase?: (phase: string, ms: number) => void;
    /** DuckDB's memory limit (e.g. `1GB`; beyond it, it spills into the private build
     * directory beside the recording); the default rule of duckdb_open.ts when not given */
    memoryLimit?: string;
    /** DuckDB's threads (its default when not given: one per core); the rows do not depend
     * on it */
    threads?: number;
  } = {},
): Promise<RecordingSummary> {
  const err = opts.err ?? writeErr;
  let t0 = performance.now();
  const phase = (name: string) => {
    const now = performance.now();
    opts.onPhase?.(name, now - t0);
    t0 = now;
  };
  // the tables are streamed from their files into DuckDB below, one batch at a time
  const input = openRecording(path, { tables: false });
  // what the table files are before they are read: a capture still writing them grows them
  // after, and the next command that opens this analysis makes it again (files_stamp.ts)
  const tableFiles = filesStampOf(input.dir);
  const inTheWay = dbInTheWay(input.dir);
  if (inTheWay) throw new Error(`${path}: ${inTheWay}`);
  phase("read");
  const progress = progressPrinter(err, opts.quiet ?? false, input.name);
  let build: { path: string; forget: () => void };
  // what an analysis killed outright (SIGKILL, the OOM killer) left: its build and spill files
  const abandoned = removeAbandoned(input.dir, ".analysis-");
  if (abandoned.length) {
    err(
      `analyze: ${input.name}: removed ${abandoned.length} build ` +
        `director${
          abandoned.length === 1 ? "y" : "ies"
        } left by an analysis killed before it ended\n`,
    );
  }
  try {
    build = tempDirRemovedOnStop({ dir: input.dir, prefix: ".analysis-" });
  } catch (e) {
    throw new Error(`${path}: cannot write beside the recording (${(e as Error).message})`);
  }
  const { path: tmpDir, forget: forgetTmp } = build;
  const finalPath = join(input.dir, DB_FILE);
  try {
    const tmpDb = join(tmpDir, DB_FILE);
    // spilling goes into the private build directory (removed below), not DuckDB's default
    const instance = await DuckDBInstance.create(
      tmpDb,
      duckdbConfig(tmpDir, { memoryLimit: opts.memoryLimit, threads: opts.threads }),
    );
    const c = await instance.connect();
    let rowsRead = 0;
    try {
      const b = new Build(c, input.name);
      for (const p of input.problems) b.problem(p.source, p.kind ?? "file", p.message);
      await b.create(ALL_TABLES);
      // the shared rules, before anything reads by them (the HTTP parse's streams too)
      for (const name of RULES_SQL) await b.run(`${name}.sql`, sqlText(name));
      // what the files say goes before the blind spots and the rows the files set aside, as
      // when they were read first
      const filesAt = b.problems.length;
      const fileProblems: ProblemRow[] = [];
      const spots = blindSpotRows(input);
      for (const p of spots.problems) b.problem(p.source, "blind", p.message);
      await b.appendRows(blindSpotsTable, spots.rows);
      const tlsBytes = await TlsByteScratch.create(tmpDir);
      // the load and the parse hand DuckDB one chunk or statement at a time from the JS thread:
      // a second DuckDB thread has little to share there, and the calling thread spins while it
      // works (duckdb/duckdb#22178); the SQL steps after them get DuckDB's threads back (RESET:
      // DuckDB's default, the configured count too, as duckdbConfig sets none unless given)
      const oneThread = opts.threads === undefined;
      if (oneThread) await c.run("SET threads = 1");
      for (const def of RAW_TABLES) {
        const file = RAW_FILES[def.name];
        const filePath = join(input.dir, file);
        const size = await Deno.stat(filePath).then(
          (st) => st.size,
          (e) => e instanceof Deno.errors.NotFound ? null : 0,
        );
        // an added or optional table's file is expected only when the manifest lists it
        if (size === null && !fileExpected(input.info, def)) continue;
        progress(
          `loading ${file} (${((size ?? 0) / 2 ** 20).toFixed(0)} MiB)`,
          (size ?? 0) > 50 * 2 ** 20,
        );
        // the TLS bytes go to the parse's scratch file as they are loaded (never read back
        // out of DuckDB)
        const r = await b.loadArrow(
          def,
          filePath,
          { recording: input.name },
          file,
          def.name === "tls"
            ? (col, start, end) => tlsBytes.addArrowRows(col, start, end)
            : undefined,
        );
        rowsRead += r.rows;
        // a file cut short: where, and what it cost against the rows the manifest lists
        const missing = missingRows(
          input.info,
          file,
          r.rows,
          r.corrupt ? "the file was cut short or damaged" : undefined,
        );
        const said = r.error ??
          (r.damaged && missing ? `${r.damaged}; ${missing}` : r.damaged ?? missing);
        if (said) {
          fileProblems.push({
            recording: input.name,
            source: file,
            kind: "file",
            message: said,
            exchange_id: null,
          });
        }
      }
      b.problems.splice(filesAt, 0, ...fileProblems);
      phase("load");
      // one connection at a time, sorted by DuckDB: only that connection's bytes are held here
      progress("parsing the TLS streams", rowsRead > 1_000_000);
      // each connection's rows go into DuckDB as it is parsed
      const reader = await instance.connect();
      const httpProblems = await writeHttpTables(b, reader, input.name, prices, {
        progress: (done) => progress(`parsed ${done} connections`),
        scratchDir: tmpDir,
        tlsBytes,
        statedLoss: statedStreamLoss(input.manifest),
        captureMode: input.manifest?.mode,
      }).finally(() => reader.closeSync());
      for (const p of httpProblems) b.problems.push(p);
      if (oneThread) await c.run("RESET threads");
      phase("parse");
      await runBuildSql(b);
      await deepForksProblem(c, b, input.name);
      await deepCallersProblem(c, b, input.name);
      await outlivedProblem(c, b, input.name);
      await incompletePathsProblem(c, b, input.name);
      await rootChangesProblem(c, b, input.name);
      await unnamedAgentsProblem(c, b, input.name, input.manifest?.mode);
      await unpricedCallsProblem(c, b, input.name, prices.path.split("/").pop()!);
      phase("build");
      // correlation (links) and detectors (findings), over the tables just built
      await buildLinksAndFindings(c, {}, b);
      await deepLaunchersProblem(c, b, input.name);
      // over actions, which the correlation makes
      await blindNetProblems(c, b, input.name, input.manifest?.attach);
      await b.finish();
      let findings = "";
      try {
        findings = await formatFindings(c, input.name);
      } catch (e) {
        b.problem("findings", "sql", `the findings could not be listed (${oneLine(e)})`);
      }
      // the observer's verdicts and a user's tables in the analysis this one replaces are kept
      // (kept_labels.ts)
      for (const lost of await keepLabels(c, finalPath, input.name)) {
        b.problem("analysis.duckdb", "sql", lost);
      }
      // out of memory (or of disk to spill to) says what to change
      const problems = b.problems.map((p) => ({
        ...p,
        message: memoryAdvice(p.message, opts.memoryLimit),
      }));
      await b.appendRows(problemsTable, problems);
      await b.appendRows(recordingsTable, [manifestRow(input, rowsRead, problems.length)]);
      await stampRevision(c);
      await stampFiles(c, tableFiles);
      phase("findings");
      const summary = async (name: SqlName): Promise<ResultSet> => {
        try {
          return await query(c, sqlText(name), [input.name]);
        } catch (e) {
          err(`analyze: ${input.name}: ${name}.sql: ${oneLine(e)}\n`);
          return { columns: [], rows: [] };
        }
      };
      const totalsRs = await summary("summary_totals");
      const totals = Object.fromEntries(
        totalsRs.columns.map((k, i) => [k, totalsRs.rows[0]?.[i] ?? null]),
      );
      const [models, tools, files] = await Promise.all(SUMMARY_SQL.slice(1).map(summary));
      await c.run("CHECKPOINT");
      c.closeSync();
      instance.closeSync();
      await Deno.chmod(tmpDb, 0o600);
      await Deno.rename(tmpDb, finalPath);
      phase("summary");
      return {
        recording: input.name,
        dir: input.dir,
        db: finalPath,
        problems: problems.map((p) => `${p.source}: ${p.message}`),
        damagedFiles: [...new Set(problems.filter((p) => p.kind === "file").map((p) => p.source))],
        totals,
        models,
        tools,
        files,
        findings,
      };
    } catch (e) {
      try {
        c.closeSync();
        instance.closeSync();
      } catch { /* already closed */ }
      throw e;
    }
  } finally {
    await Deno.remove(tmpDir, { recursive: true }).catch(() => {});
    forgetTmp();
  }
}

/**
 * Why the analysis cannot be written beside the recording in `dir` for something else there
 * under its name (a directory, a link to one), or null: said before any work, in one line.
 */
export function dbInTheWay(dir: string): string | null {
  try {
    const st = Deno.statSync(join(dir, DB_FILE));
    return st.isFile ? null : `${DB_FILE} is there and is not a file: move it away to analyse`;
  } catch {
    return null; // not there (or not to be looked at: said when written)
  }
}

const n = (v: unknown) => v === null || v === undefined ? "0" : String(v);

/**
 * The cost line's figure: a sum of the priced calls, which says how many calls it leaves out;
 * "unknown" when no call has a price (never a $0 that reads as free).
 */
function formatCost(t: RecordingSummary["totals"]): string {
  const unpriced = Number(t.unpriced_calls ?? 0);
  const without = ` (${unpriced} call${unpriced === 1 ? "" : "s"} without a price)`;
  if (unpriced > 0 && unpriced >= Number(t.llm_calls ?? 0)) return `unknown${without}`;
  return `$${t.cost_usd === null ? "0" : String(t.cost_usd)}${unpriced > 0 ? without : ""}`;
}

/** The short summary printed for one recording. */
export function formatSummary(s: RecordingSummary): string {
  const t = s.totals;
  const lines = [
    `${s.dir}`,
    `  ${n(t.llm_calls)} LLM calls (${
      Number(t.failed_calls) > 0 ? `${n(t.failed_calls)} answered with an error, ` : ""
    }${n(t.incomplete_calls)} incomplete), cost ${formatCost(t)}; ` +
    `${n(t.tool_calls)} tool calls (${n(t.tool_results)} with results); ` +
    `${n(t.http_exchanges)} HTTP exchanges`,
    `  ${n(t.processes)} processes (${n(t.agent_processes)} of agents); ` +
    `${n(t.files_written)} files written; ${n(t.problems)} problems`,
  ];
  if (s.models.rows.length) lines.push(indent(formatResult(s.models, "table")));
  if (s.tools.rows.length) lines.push(indent(formatResult(s.tools, "table")));
  if (s.files.rows.length) {
    lines.push("  files written (those by tools the agent ran first, then the agent's own):");
    for (const [path, , writes, exe, byTool] of s.files.rows.slice(0, 10)) {
      const p = showLine(String(path));
      const shown = p.length > 70 ? `…${p.slice(-69)}` : p;
      const by = `${exe ? showLine(String(exe).split("/").pop()!) : "?"}${
        byTool ? ", a tool" : ""
      }`;
      lines.push(`    ${shown}  (${by}, ${writes} write${Number(writes) === 1 ? "" : "s"})`);
    }
    if (s.files.rows.length > 10) lines.push(`    … and ${s.files.rows.length - 10} more`);
  }
  if (s.findings.trim()) lines.push(indent(s.findings.trimEnd()));
  lines.push(`  wrote ${s.db}`);
  return lines.join("\n") + "\n";
}

function indent(s: string): string {
  return s.trimEnd().split("\n").map((l) => `  ${l}`).join("\n");
}

/** Analyses every recording given; returns the exit code. */
export async function run(opts: AnalyzeOptions): Promise<number> {
  const out = opts.out ?? writeOut;
  const err = opts.err ?? writeErr;
  if (opts.recordings.length === 0) throw usageError("give at least one recording directory");
  onceEach(opts.recordings);
  const prices = loadPrices(opts.prices);
  const notAnalysed: string[] = [];
  const damaged: string[] = [];
  for (const path of opts.recordings) {
    try {
      const s = await analyzeRecording(path, prices, {
        quiet: opts.quiet,
        err,
        memoryLimit: opts.memoryLimit,
      });
      for (const p of s.problems.slice(0, 20)) err(`analyze: ${path}: ${showLine(p)}\n`);
      if (s.problems.length > 20) {
        err(
          `analyze: ${path}: … ${s.problems.length - 20} more problems (see the problems table)\n`,
        );
      }
      out(formatSummary(s));
      if (s.damagedFiles.length) damaged.push(path);
    } catch (e) {
      const msg = e instanceof NotARecording ? e.message : aboutPath(path, (e as Error).message);
      err(`analyze: ${memoryAdvice(msg.split("\n")[0], opts.memoryLimit)}\n`);
      notAnalysed.push(path);
    }
  }
  const failed = notAnalysed.length + damaged.length;
  if (!failed) return 0;
  // the last line says which failed, whatever scrolled past above it
  if (opts.recordings.length > 1) {
    const parts = [
      notAnalysed.length ? `${andList(notAnalysed)} could not be analysed` : "",
      damaged.length
        ? `${andList(damaged)} ${damaged.length === 1 ? "was" : "were"} analysed from damaged files`
        : "",
    ].filter(Boolean);
    err(`analyze: ${failed} of ${opts.recordings.length} recordings failed: ${parts.join("; ")}\n`);
  }
  return 1;
}

/** `a`, `a and b`, `a, b and c` */
function andList(items: string[]): string {
  return items.length < 2 ? items.join("") : `${items.slice(0, -1).join(", ")} and ${items.at(-1)}`;
}
