/**
 * Golden digests of the datasets' analysis: for every dataset in datasets/, the rows each
 * table and view of its analysed database holds, the report's data, the notebooks' case-study
 * queries and the observer's trace of each session — each as a row count and a stable digest
 * (MD5 of the rows' text, sorted). `datasets/golden_test.ts` compares a fresh analysis with
 * the digests in `tests/fixtures/golden/`; they change only when asked:
 *
 *   deno run -A datasets/golden.ts --update [DATASET...]
 *
 * which refuses to run under CI. Without `--update` it prints what differs (exit 1 if any).
 * The recording's path (where the copy was analysed) is left out of every digest.
 */
import { mkdtempSync, readdirSync, rmSync, statSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { fileURLToPath } from "node:url";
import { createHash } from "node:crypto";
import { queryRows, readSql, sqlFilesIn } from "../kit/sql_runner.ts";
import { analyzeRecording } from "../analysis/analyze.ts";
import { withDb } from "../analysis/analysed_db.ts";
import { copyRecording } from "../recording/manifest.ts";
import { type Digest, tableDigests } from "../analysis/testing.ts";
import { buildTrace } from "../analysis/observer/trace.ts";
import { loadPrices } from "../analysis/pricing.ts";
import { loadReportData } from "../reports/report_data.ts";
import { reportSql } from "../reports/report_db.ts";

export const DATASETS_DIR = fileURLToPath(new URL(".", import.meta.url));
export const GOLDEN_DIR = fileURLToPath(new URL("../tests/fixtures/golden/", import.meta.url));
const NOTEBOOK_SQL = new URL("../notebooks/sql/", import.meta.url);
const OBSERVER_SQL = new URL("../analysis/observer/sql/", import.meta.url);

/** Everything compared for one dataset, by section and name. */
export interface Golden {
  dataset: string;
  /** tables and views of analysis.duckdb */
  tables: Record<string, Digest>;
  /** the report's data, by part */
  report: Record<string, Digest>;
  /** the notebooks' case-study queries */
  notebooks: Record<string, Digest>;
  /** the observer's trace of each session, by session id */
  traces: Record<string, Digest>;
}

/** The datasets: directories of datasets/ holding a manifest. */
export function datasetNames(): string[] {
  return readdirSync(DATASETS_DIR).filter((n) => {
    try {
      return statSync(join(DATASETS_DIR, n, "manifest.json")).isFile();
    } catch {
      return false;
    }
  }).sort();
}

/** A JSON text that sorts object keys and writes bigints as strings. */
export function stableJson(v: unknown): string {
  return JSON.stringify(v, (_k, x) => {
    if (typeof x === "bigint") return x.toString();
    if (x instanceof Uint8Array) return `bytes:${createHash("md5").update(x).digest("hex")}`;
    if (x instanceof Set) return [...x].sort();
    if (x && typeof x === "object" && !Array.isArray(x)) {
      return Object.fromEntries(Object.keys(x).sort().map((k) => [k, x[k]]));
    }
    return x;
  });
}

/** The digest of a list of values (each as stable JSON), sorted unless `ordered`. */
export function digestOf(items: unknown[], ordered = false): Digest {
  const lines = items.map(stableJson);
  if (!ordered) lines.sort();
  return { rows: items.length, md5: createHash("md5").update(lines.join("\n")).digest("hex") };
}

/**
 * Computes the golden digests of one dataset, analysing a temporary copy (with `threads`
 * DuckDB threads when given).
 */
export async function computeGolden(
  dataset: string,
  opts: { threads?: number } = {},
): Promise<Golden> {
  const tmp = mkdtempSync(join(tmpdir(), "sightline-golden-"));
  try {
    const dir = copyRecording(join(DATASETS_DIR, dataset), join(tmp, dataset));
    const s = await analyzeRecording(dir, loadPrices(), {
      quiet: true,
      err: () => {},
      threads: opts.threads,
    });
    return await withDb(s.db, async (c) => {
      const tables = await tableDigests(c);
      const tableSet = new Set(Object.keys(tables));
      await c.run(reportSql("report_actions"));
      const data = await loadReportData(c, tableSet);
      const report: Record<string, Digest> = {};
      for (const [k, v] of Object.entries(data)) {
        if (k === "overview") {
          report[k] = digestOf([{ ...(v as object), path: null }]);
        } else report[k] = Array.isArray(v) ? digestOf(v, true) : digestOf([v]);
      }
      const notebooks: Record<string, Digest> = {};
      for (const name of sqlFilesIn(NOTEBOOK_SQL)) {
        notebooks[name] = digestOf(await queryRows(c, readSql(NOTEBOOK_SQL, name)), true);
      }
      const traces: Record<string, Digest> = {};
      // (traces are keyed by session: their order is not the digest's)
      const sessions = await queryRows(c, readSql(OBSERVER_SQL, "label_sessions"));
      for (const r of sessions) {
        const t = await buildTrace(c, String(r.recording), Number(r.session_id));
        traces[String(r.session_id)] = digestOf([t.text, t.ids, t.omitted], true);
      }
      return { dataset, tables, report, notebooks, traces };
    }, { readOnly: true, threads: opts.threads });
  } finally {
    rmSync(tmp, { recursive: true, force: true });
  }
}

export function goldenPath(dataset: string): string {
  return join(GOLDEN_DIR, `${dataset}.json`);
}

export function readGolden(dataset: string): Golden | null {
  try {
    return JSON.parse(Deno.readTextFileSync(goldenPath(dataset)));
  } catch (e) {
    if (e instanceof Deno.errors.NotFound) return null;
    throw e;
  }
}

/** One line per digest that differs between `want` and `got` (none when they agree). */
export function differences(want: Golden | null, got: Golden): string[] {
  if (!want) return [`${got.dataset}: no golden file (${goldenPath(got.dataset)})`];
  const out: string[] = [];
  for (const section of ["tables", "report", "notebooks", "traces"] as const) {
    const a = want[section] ?? {};
    const b = got[section];
    for (const k of new Set([...Object.keys(a), ...Object.keys(b)])) {
      const x = a[k];
      const y = b[k];
      if (!x) out.push(`${got.dataset}: ${section}.${k}: new (${y.rows} rows)`);
      else if (!y) out.push(`${got.dataset}: ${section}.${k}: gone (had ${x.rows} rows)`);
      else if (x.rows !== y.rows || x.md5 !== y.md5) {
        out.push(
          `${got.dataset}: ${section}.${k}: ` +
            (x.rows !== y.rows ? `${x.rows} -> ${y.rows} rows` : `same ${y.rows} rows, changed`),
        );
      }
    }
  }
  return out;
}

if (import.meta.main) {
  const update = Deno.args.includes("--update");
  if (update && Deno.env.get("CI")) {
    console.error("golden: --update is refused under CI (goldens change only by hand)");
    Deno.exit(2);
  }
  const unknown = Deno.args.filter((a) => a.startsWith("-") && a !== "--update");
  if (unknown.length) {
    console.error(`golden: unknown option ${unknown[0]}`);
    console.error("usage: deno run -A datasets/golden.ts [--update] [DATASET...]");
    Deno.exit(2);
  }
  const all = datasetNames();
  const asked = Deno.args.filter((a) => !a.startsWith("-"));
  const bad = asked.filter((a) => !all.includes(a));
  if (bad.length) {
    console.error(`golden: no dataset ${bad[0]} (have: ${all.join(", ")})`);
    Deno.exit(2);
  }
  let diffs = 0;
  Deno.mkdirSync(GOLDEN_DIR, { recursive: true });
  for (const name of asked.length ? asked : all) {
    const got = await computeGolden(name);
    const d = differences(readGolden(name), got);
    for (const line of d) console.log(line);
    diffs += d.length;
    if (update && d.length) {
      Deno.writeTextFileSync(goldenPath(name), JSON.stringify(got, null, 2) + "\n");
      console.log(`golden: wrote ${goldenPath(name)}`);
    }
  }
  if (!update) console.log(`golden: ${diffs} difference${diffs === 1 ? "" : "s"}`);
  Deno.exit(!update && diffs ? 1 : 0);
}
