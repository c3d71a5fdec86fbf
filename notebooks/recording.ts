/**
 * A recording opened for exploration in a notebook: analysed first if needed (and, for the
 * case studies, given correlation's links and the detectors' findings when it lacks them),
 * opened read-only, queried with SQL (values bound) into rows or tables, summarised, and
 * charted with the report's charts. Without a path it opens a copy of a small real recording
 * from the test fixtures, so a notebook always has something to show.
 */
import { filePath } from "../kit/file_path.ts";
import { existsSync, mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { dirname, join, resolve } from "node:path";
import { hasTables, type SqlValue } from "../kit/sql_runner.ts";
import { DB_FILE } from "../analysis/analyze.ts";
import { copyRecording } from "../recording/manifest.ts";
import { ensureAnalysed, type SqlFile, withDb } from "../analysis/analysed_db.ts";
import { buildLinksAndFindings } from "../analysis/detect/insights.ts";
import { chartSpecs } from "../reports/report.ts";
import { loadReportData, type ReportData } from "../reports/report_data.ts";
import { openAnalysed, type OpenedDb } from "../reports/report_db.ts";
import { chart, type Displayable, markdown, type Rows, table } from "./display.ts";

/** The fixture a notebook opens when it is given no recording. */
export const SAMPLE = "claude_tool_marker";
const FIXTURES = filePath("../tests/fixtures/analysis/", import.meta.url);

/** A copy of a fixture recording in a temporary directory. */
export function sampleRecording(name = SAMPLE): string {
  const dir = mkdtempSync(join(tmpdir(), "sightline-notebook-"));
  return copyRecording(join(FIXTURES, name), join(dir, name));
}

export type ChartName = "timeline" | "tokens" | "cost" | "models" | "latency";

export class Recording {
  #data: ReportData | null = null;
  constructor(
    readonly dir: string,
    readonly db: OpenedDb,
    readonly notes: string[],
    /** a temporary copy, removed on close */
    readonly temporary: string | null = null,
  ) {}

  get name(): string {
    return this.dir.split("/").pop()!;
  }

  /** Whether the database has this table or view. */
  has(name: string): boolean {
    return this.db.tables.has(name);
  }

  /** Rows of a query (or a named `.sql` file); `$name` placeholders take `params`. */
  async rows(sql: string | SqlFile, params: Record<string, SqlValue> = {}): Promise<Rows> {
    return await this.db.rows(sql, params) as Rows;
  }

  /** A query's rows as a table. */
  async table(
    sql: string | SqlFile,
    params: Record<string, SqlValue> = {},
    opts: { max?: number } = {},
  ): Promise<Displayable> {
    return table(await this.rows(sql, params), opts);
  }

  /** The report's data (the same caps as the report). */
  async data(): Promise<ReportData> {
    this.#data ??= await loadReportData(this.db.conn, this.db.tables);
    return this.#data;
  }

  /** One of the report's charts. */
  async chart(name: ChartName): Promise<Displayable> {
    return await chart(chartSpecs(await this.data())[name]);
  }

  /** What was recorded, in a few lines. */
  async summary(): Promise<Displayable> {
    const o = (await this.data()).overview;
    return markdown([
      `**${o.recording}**: \`${(o.command ?? []).join(" ").slice(0, 200)}\``,
      "",
      `- ${o.llmCalls} LLM calls, ${o.inputTokens ?? 0} input and ${o.outputTokens ?? 0} output ` +
      `tokens, cost $${(o.costUsd ?? 0).toFixed(4)}`,
      `- ${o.toolCalls} tool calls, ${o.processes} processes, ${o.problems} problems`,
      `- activity over ${(o.spanMs / 1000).toFixed(2)} s; exit code ${o.exitCode ?? "?"}`,
      `- tables: correlation ${this.has("links") ? "yes" : "no"}, findings ${
        this.has("findings") ? "yes" : "no"
      }`,
      ...this.notes.map((n) => `- ${n}`),
    ].join("\n"));
  }

  /** Closes the database (and removes the temporary copy of the sample). */
  close(): void {
    this.db.close();
    if (this.temporary) rmSync(this.temporary, { recursive: true, force: true });
  }
}

/**
 * Opens a recording directory (or the sample when `path` is empty). With `insights`, builds
 * correlation's links and the detectors' findings into its database first when it has none.
 */
export async function openRecording(
  path?: string | null,
  opts: { insights?: boolean } = {},
): Promise<Recording> {
  const notes: string[] = [];
  let dir: string;
  let temporary: string | null = null;
  if (path) {
    dir = resolve(path);
    if (!existsSync(dir)) throw new Error(`${path}: no such recording directory`);
  } else {
    dir = sampleRecording();
    temporary = dirname(dir);
    notes.push(`no recording given: a copy of the fixture ${SAMPLE}`);
  }
  if (opts.insights) {
    const db = await ensureAnalysed(dir);
    const has = await withDb(db, (c) => hasTables(c, "links", "findings"), { readOnly: true });
    if (!has) {
      await withDb(db, (c) => buildLinksAndFindings(c));
      notes.push("links and findings built for this notebook (deno task findings)");
    }
  }
  const db = await openAnalysed(dir, { log: (l) => notes.push(l) });
  if (!existsSync(join(dir, DB_FILE))) throw new Error(`${dir}: no ${DB_FILE}`);
  return new Recording(dir, db, notes, temporary);
}
