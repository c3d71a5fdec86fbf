/**
 * `deno task report RECORDING [--out DIR]`: writes a self-contained HTML report of an analysed
 * recording (analysing it first if needed) and its charts as SVG files: `report.html`,
 * `timeline.svg`, `tokens.svg`, `cost.svg`, `models.svg`, `latency.svg`, by default in
 * `RECORDING/report/`. The files hold prompts and answers, so they are made mode 0600 in a
 * directory of mode 0700, like the recording and its database.
 */
import { showControlsIn } from "../kit/control_chars.ts";
import { chmodSync, mkdirSync } from "node:fs";
import { join, resolve } from "node:path";
import { CliError, usageError } from "../kit/cli.ts";
import { type ChartSpecs, reportPage } from "./page.ts";
import { loadReportData, type ReportData, type ReportLimits } from "./report_data.ts";
import { DEFAULT_LIMITS } from "./report_data.ts";
import { openAnalysed } from "./report_db.ts";
import { timelineSpec } from "./timeline_chart.ts";
import { costSpec, latencySpec, modelsSpec, tokensSpec } from "./usage_charts.ts";
import { renderSvg } from "./vega.ts";

export interface ReportOptions {
  recording: string;
  /** where the files go; default `RECORDING/report` */
  out?: string;
  /** analyse the recording again even if it has a database */
  reanalyze?: boolean;
  /** caps that keep the page small (defaults: `DEFAULT_LIMITS`) */
  limits?: Partial<ReportLimits>;
  /** progress and notes, one line each (default: stderr) */
  log?: (line: string) => void;
  /** where `run` says what it wrote (default: stdout) */
  print?: (line: string) => void;
}

export interface ReportResult {
  dir: string;
  /** the recording's files that were damaged (the report shows what could be read) */
  damagedFiles: string[];
  html: string;
  svgs: Record<string, string>;
  bytes: number;
  data: ReportData;
}

/** The report's charts, by name. */
export function chartSpecs(data: ReportData): ChartSpecs {
  // recorded names in the charts' data with their controls shown (an SVG cannot hold C0)
  return showControlsIn({
    timeline: timelineSpec(data),
    tokens: tokensSpec(data),
    cost: costSpec(data),
    models: modelsSpec(data),
    latency: latencySpec(data),
  });
}

async function writePrivate(path: string, text: string): Promise<void> {
  await Deno.writeTextFile(path, text, { mode: 0o600 });
  chmodSync(path, 0o600);
}

/** Builds the report; throws a CliError (exit code 1) for a recording it cannot read. */
export async function buildReport(opts: ReportOptions): Promise<ReportResult> {
  const log = opts.log ?? ((line: string) => console.error(`report: ${line}`));
  const limits = { ...DEFAULT_LIMITS, ...opts.limits };
  const db = await openAnalysed(opts.recording, { reanalyze: opts.reanalyze, log });
  let data: ReportData;
  try {
    data = await loadReportData(db.conn, db.tables, limits);
  } finally {
    db.close();
  }
  const dir = resolve(opts.out ?? join(db.dir, "report"));
  try {
    mkdirSync(dir, { recursive: true, mode: 0o700 });
  } catch (e) {
    throw new CliError(`${dir}: cannot create it (${(e as Error).message})`);
  }
  const specs = chartSpecs(data);
  const svgs: Record<string, string> = {};
  for (const [name, spec] of Object.entries(specs)) {
    svgs[name] = join(dir, `${name}.svg`);
    await writePrivate(svgs[name], await renderSvg(spec));
  }
  const page = reportPage(data, specs);
  const html = join(dir, "report.html");
  await writePrivate(html, page);
  for (const c of data.cuts) log(`cut ${c.what}: ${c.shown} of ${c.total} shown`);
  const damagedFiles = db.damage?.files ?? [];
  return { dir, damagedFiles, html, svgs, bytes: new TextEncoder().encode(page).length, data };
}

/**
 * Runs the command; returns the exit code (0 written, 1 the recording could not be read, or
 * its files were damaged: the report, written, shows what could be read).
 */
export async function run(opts: ReportOptions): Promise<number> {
  if (!opts.recording) throw usageError("give a recording directory");
  const log = opts.log ?? ((line: string) => console.error(`report: ${line}`));
  try {
    const r = await buildReport({ ...opts, log });
    const notes = [
      r.data.links === null ? "no links table (correlation not run)" : null,
      r.data.findings === null ? "no findings table (detectors not run)" : null,
    ].filter(Boolean);
    (opts.print ?? console.log)(
      `${r.html} (${(r.bytes / 1e6).toFixed(2)} MB) and ${Object.keys(r.svgs).length} SVG charts` +
        (notes.length ? `; ${notes.join(", ")}` : ""),
    );
    // written from what could be read; the damage was said on opening
    return r.damagedFiles.length ? 1 : 0;
  } catch (e) {
    if (e instanceof CliError && !e.showUsage) {
      log(e.message);
      return e.exitCode;
    }
    throw e;
  }
}
