/**
 * The findings command (`deno task findings`, findings_main.ts parses its arguments): builds
 * the links and findings of analysed recordings (analysing them first when needed) into their
 * `analysis.duckdb` and lists the findings, recording by recording. An analysis that cannot be
 * written where it is (a read-only mount) gets them in a temporary copy, said in one line.
 */
import { aboutPath, errorLine } from "../../kit/cli.ts";
import { queryRows } from "../../kit/sql_runner.ts";
import { ensureAnalysed, withDbOrCopy } from "../analysed_db.ts";
import { sqlText } from "../sql_files.ts";
import { formatFindings } from "./format.ts";
import { buildLinksAndFindings, type InsightSettings } from "./insights.ts";

export interface FindingsCliOptions {
  recordings: string[];
  settings: Required<InsightSettings>;
  rebuild: boolean;
}

/**
 * Builds the links and findings into the analysis at `db` and lists them. An analysis that
 * cannot be written where it is (a read-only mount, a share, no permission) gets them built in
 * a temporary copy, said in one line: the same findings, not kept.
 */
async function findingsText(
  db: string,
  settings: Required<InsightSettings>,
  rec: string,
  err: (s: string) => void,
): Promise<string> {
  const { value, notWritable } = await withDbOrCopy(db, async (c) => {
    await buildLinksAndFindings(c, settings);
    const [r] = await queryRows(c, sqlText("recording_name"));
    return formatFindings(c, String(r?.recording ?? rec));
  });
  if (notWritable) {
    err(
      `findings: ${rec}: its analysis cannot be written (${notWritable}): ` +
        "the findings were built in a temporary copy, not kept",
    );
  }
  return value;
}

/** Builds and prints; returns the exit code. */
export async function run(
  o: FindingsCliOptions,
  out = (s: string) => console.log(s),
  err = (s: string) => console.error(s),
): Promise<number> {
  let failed = 0;
  for (const rec of o.recordings) {
    try {
      const db = await ensureAnalysed(rec, {
        rebuild: o.rebuild,
        log: (line) => err(`findings: ${line}`),
      });
      const text = await findingsText(db, o.settings, rec, err);
      out(`${rec}\n${text.trimEnd()}`);
    } catch (e) {
      err(`findings: ${aboutPath(rec, errorLine(e))}`);
      failed++;
    }
  }
  return failed ? 1 : 0;
}
