/**
 * `deno task export RECORDING... --format parquet --out DIR | --format otlp`: hands analysed
 * recordings to other systems. Parquet writes every table into a hive-partitioned tree that
 * DuckDB, Spark, Trino or ClickHouse read as it is (`parquet.ts`); OTLP sends each session as
 * an OpenTelemetry trace following the GenAI semantic conventions (`otlp.ts`).
 *
 * A recording not analysed yet is analysed first (its `analysis.duckdb` is built beside it). A
 * recording that cannot be read or exported costs one line and the exit code, not the others.
 * Every time, a recording whose analysis has problems costs one line saying how many of which
 * kind and where to look; one whose files were damaged is exported from what could be read.
 * Exit code: 0 when every recording was exported whole, 1 when any was not or was exported
 * from damaged files, 2 for usage.
 */
import { join, resolve } from "node:path";
import { analyzeRecording, DB_FILE } from "../analyze.ts";
import { aboutPath, CliError, errorLine, onceEach, usageError } from "../../kit/cli.ts";
import { isFile } from "../../kit/files.ts";
import { showLine } from "../../kit/control_chars.ts";
import { loadPrices, pricesNotApplied } from "../pricing.ts";
import { analysisOutdated, damageAt, holdsRecording } from "../analysed_db.ts";
import { NotARecording } from "../recording_input.ts";
import { exportParquet } from "./parquet.ts";
import { exportOtlp, type OtlpOptions, otlpTarget } from "./otlp.ts";

export type ExportFormat = "parquet" | "otlp";

export interface ExportOptions {
  recordings: string[];
  format: ExportFormat;
  /** parquet: the directory the tree is written under */
  out?: string;
  /** otlp: which content goes into the spans (none by default) */
  otlp?: OtlpOptions;
  /** price table for recordings that must be analysed first */
  prices?: string;
  print?: (text: string) => void;
  err?: (text: string) => void;
}

const encoder = new TextEncoder();

/**
 * The recording's `analysis.duckdb`, analysing it first if there is none, or if it is of
 * another revision or was made before the capture ended (`analysisOutdated`).
 */
export async function analysedDb(
  path: string,
  prices: string | undefined,
  err: (s: string) => void,
  task: string,
): Promise<string> {
  const dir = resolve(path);
  const db = join(dir, DB_FILE);
  const outdated = isFile(db)
    ? await analysisOutdated(dir, db, { kept: (l) => err(`${task}: ${path}: ${l}\n`), given: path })
    : null;
  if (isFile(db) && !outdated) {
    if (prices !== undefined) err(`${task}: ${path}: ${pricesNotApplied(prices)}\n`);
    return db;
  }
  await analyseFirst(path, dir, outdated, prices, err, task);
  return db;
}

async function analyseFirst(
  path: string,
  dir: string,
  outdated: string | null,
  prices: string | undefined,
  err: (s: string) => void,
  task: string,
): Promise<void> {
  try {
    if (!Deno.statSync(path).isDirectory) throw new NotARecording(`${path}: not a directory`);
  } catch (e) {
    if (e instanceof NotARecording) throw e;
    throw new NotARecording(`${path}: no such directory`);
  }
  if (outdated && !holdsRecording(dir)) {
    throw new NotARecording(`${path}: ${outdated}, and no recording is beside it to analyse again`);
  }
  // (a directory holding no recording: the analysis says so in one line, nothing before it)
  if (holdsRecording(dir)) {
    err(
      `${task}: ${path}: ${outdated ?? "not analysed yet"}, analysing${outdated ? " again" : ""}\n`,
    );
  }
  await analyzeRecording(path, loadPrices(prices), { quiet: true, err });
}

/** Makes the export's directory, or one line, exit 2: it is a file or a recording, or it
 * cannot be made. */
async function usableOut(out: string): Promise<void> {
  const stat = await Deno.stat(out).catch(() => null);
  if (stat && !stat.isDirectory) {
    throw new CliError(`--out ${out} is not a directory`, 2);
  }
  // its tables' folders would be mixed with a recording's files (and sql would take the
  // recording for an export)
  if (stat && holdsRecording(out)) {
    throw new CliError(`--out ${out} is a recording: export into a directory of its own`, 2);
  }
  try {
    await Deno.mkdir(out, { recursive: true, mode: 0o700 });
  } catch (e) {
    throw new CliError(`cannot use --out ${out}: ${errorLine(e)}`, 2);
  }
}

/** Exports every recording given; returns the exit code. */
export async function run(opts: ExportOptions): Promise<number> {
  const print = opts.print ?? ((s: string) => Deno.stdout.writeSync(encoder.encode(s)));
  const err = opts.err ?? ((s: string) => Deno.stderr.writeSync(encoder.encode(s)));
  if (opts.recordings.length === 0) throw usageError("give at least one recording directory");
  onceEach(opts.recordings);
  if (opts.format !== "parquet" && opts.format !== "otlp") {
    throw usageError(`--format must be parquet or otlp, not ${JSON.stringify(opts.format)}`);
  }
  if (opts.format === "parquet" && !opts.out) {
    throw usageError("--format parquet needs --out DIR");
  }
  if (opts.format === "otlp") {
    if (opts.out) {
      throw usageError("--out is for parquet: OTLP goes to OTEL_EXPORTER_OTLP_ENDPOINT");
    }
    otlpTarget(); // a bad OTEL_* variable is a usage error, said once
  } else if (opts.otlp?.content || opts.otlp?.toolArguments) {
    throw usageError("--content and --tool-arguments are for --format otlp");
  } else {
    // an --out that cannot hold the export is said once, before any recording is analysed
    await usableOut(opts.out!);
  }
  let failed = 0;
  for (const rec of opts.recordings) {
    try {
      const db = await analysedDb(rec, opts.prices, err, "export");
      // what it lost, every time; a recording whose files were damaged is exported (what
      // could be read) but counts as failed
      const damage = await damageAt(db, rec);
      if (damage) err(`export: ${rec}: ${showLine(damage.line)}\n`);
      if (damage?.files.length) failed++;
      if (opts.format === "parquet") {
        const r = await exportParquet(db, resolve(opts.out!));
        for (const p of r.problems) err(`export: ${rec}: ${showLine(p)}\n`);
        const n = r.files.reduce((s, f) => s + f.rows, 0);
        print(
          `${rec}: ${r.files.length} tables, ${n} rows -> ${resolve(opts.out!)} ` +
            `(capture_host=${r.host}, capture_date=${r.date})\n`,
        );
        if (r.problems.length) failed++;
      } else {
        const r = await exportOtlp(db, opts.otlp);
        print(
          `${rec}: ${r.traces} traces, ${r.spans} spans (${r.llmSpans} LLM calls, ${r.toolSpans} ` +
            `tool calls, ${r.processSpans} processes, ${r.httpSpans} HTTP exchanges), ${r.events} events, ${r.findings} findings ` +
            `-> ${r.endpoint} (${r.protocol})\n`,
        );
        for (const w of r.warnings) err(`export: ${rec}: ${showLine(w)}\n`);
        if (r.findingsOutside) {
          err(
            `export: ${rec}: ${r.findingsOutside} findings outside every session are in no trace\n`,
          );
        }
      }
    } catch (e) {
      // the path once, also when the layer below named it already
      const msg = e instanceof NotARecording ? e.message : aboutPath(rec, errorLine(e));
      err(`export: ${msg.split("\n")[0]}\n`);
      failed++;
    }
  }
  return failed ? 1 : 0;
}
