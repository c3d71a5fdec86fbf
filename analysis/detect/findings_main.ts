/**
 * `deno task findings RECORDING... [-- options]`: builds the links and findings of analysed
 * recordings (analysing them first when needed) into their `analysis.duckdb` and prints the
 * findings. An analysis that cannot be written where it is (a read-only mount) gets them in a
 * temporary copy, said in one line.
 *
 *   --sensitive-paths FILE    more sensitive path patterns (format: sensitive_paths.txt)
 *   --allowlist FILE          more allowed destinations (format: allowlist.txt)
 *   --injection-phrases FILE  more instruction-like phrases (format: injection_phrases.txt)
 *   --loop-cycles N           identical failing calls that make a loop (default 3)
 *   --exfil-window-ms MS      read-to-send window of exfiltration (default 600000)
 *   --window-ms MS            temporal window for tool calls without a result (default 1000)
 *   --min-confidence X        link threshold (default 0.5)
 *   --rebuild                 analyse the recordings again first
 *
 * Exit code: 0 when every recording was processed, 1 when one could not be, 2 for bad usage.
 * Findings do not change the exit code.
 */
import {
  aboutPath,
  CliError,
  errorLine,
  onceEach,
  parseCommand,
  runCommand,
  stopOnSignals,
  tempDirRemovedOnStop,
  usageError,
  userPath,
} from "../../kit/cli.ts";
import { basename, join } from "node:path";
import { checkSettings, DEFAULT_SETTINGS } from "../correlate/settings.ts";
import { ensureAnalysed, withDb } from "../analysed_db.ts";
import { queryRows } from "../../kit/sql_runner.ts";
import { sqlText } from "../sql_files.ts";
import { formatFindings } from "./format.ts";
import { buildLinksAndFindings, type InsightSettings } from "./insights.ts";
import { checkDetectSettings, DEFAULT_DETECT_SETTINGS } from "./settings.ts";

export interface FindingsCliOptions {
  recordings: string[];
  settings: Required<InsightSettings>;
  rebuild: boolean;
}

export function parseFindingsArgs(args: string[]): FindingsCliOptions {
  const p = parseCommand(args, {
    "sensitive-paths": { type: "string", multiple: true, default: [] },
    allowlist: { type: "string", multiple: true, default: [] },
    "injection-phrases": { type: "string", multiple: true, default: [] },
    "loop-cycles": { type: "string" },
    "exfil-window-ms": { type: "string" },
    "window-ms": { type: "string" },
    "min-confidence": { type: "string" },
    rebuild: { type: "boolean", default: false },
  });
  const v = p.values;
  const recordings = p.positionals.filter((x) => x !== "--").map(userPath);
  if (recordings.length === 0) throw usageError("give at least one recording directory");
  onceEach(recordings);
  const num = (name: string, s: string | undefined, dflt: number) => {
    if (s === undefined) return dflt;
    const n = Number(s);
    if (!Number.isFinite(n)) throw usageError(`--${name}: expected a number, got ${s}`);
    return n;
  };
  try {
    return {
      recordings,
      rebuild: v.rebuild,
      settings: {
        correlate: checkSettings({
          ...DEFAULT_SETTINGS,
          windowMs: num("window-ms", v["window-ms"], DEFAULT_SETTINGS.windowMs),
          minConfidence: num("min-confidence", v["min-confidence"], DEFAULT_SETTINGS.minConfidence),
        }),
        detect: checkDetectSettings({
          ...DEFAULT_DETECT_SETTINGS,
          sensitivePaths: [
            ...DEFAULT_DETECT_SETTINGS.sensitivePaths,
            ...v["sensitive-paths"].map(userPath),
          ],
          allowlist: [...DEFAULT_DETECT_SETTINGS.allowlist, ...v.allowlist.map(userPath)],
          injectionPhrases: [
            ...DEFAULT_DETECT_SETTINGS.injectionPhrases,
            ...v["injection-phrases"].map(userPath),
          ],
          loopCycles: num("loop-cycles", v["loop-cycles"], DEFAULT_DETECT_SETTINGS.loopCycles),
          exfilWindowMs: num(
            "exfil-window-ms",
            v["exfil-window-ms"],
            DEFAULT_DETECT_SETTINGS.exfilWindowMs,
          ),
        }),
      },
    };
  } catch (e) {
    if (e instanceof CliError) throw e;
    throw usageError((e as Error).message);
  }
}

/** The system's words (through DuckDB's) for a database that cannot be written where it is. */
const NOT_WRITABLE = /Read-only file system|Permission denied|Operation not permitted/;

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
  const build = (path: string) =>
    withDb(path, async (c) => {
      await buildLinksAndFindings(c, settings);
      const [r] = await queryRows(c, sqlText("recording_name"));
      return formatFindings(c, String(r?.recording ?? rec));
    });
  try {
    return await build(db);
  } catch (e) {
    const why = errorLine(e);
    if (!NOT_WRITABLE.test(why)) throw e;
    const tmp = tempDirRemovedOnStop({ prefix: "sightline-findings-" });
    try {
      const copy = join(tmp.path, basename(db));
      await Deno.copyFile(db, copy);
      const text = await build(copy);
      err(
        `findings: ${rec}: its analysis cannot be written (${why.replace(/^IO Error: /, "")}): ` +
          "the findings were built in a temporary copy, not kept",
      );
      return text;
    } finally {
      await Deno.remove(tmp.path, { recursive: true }).catch(() => {});
      tmp.forget();
    }
  }
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

const USAGE = "usage: deno task findings [--rebuild] [--sensitive-paths FILE] [--allowlist FILE] " +
  "[--injection-phrases FILE] [--loop-cycles N] [--exfil-window-ms MS] [--window-ms MS] " +
  "[--min-confidence X] RECORDING...";

if (import.meta.main) {
  // Ctrl-C: its temporary files go, what it wrote before stays (kit/cli.ts removeOnStop)
  stopOnSignals("findings");
  await runCommand("findings", USAGE, async (args) => await run(parseFindingsArgs(args)));
}
