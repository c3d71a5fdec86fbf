/**
 * Entry point of `deno task findings RECORDING... [-- options]`: parses the arguments and runs
 * `findings.ts` (the links and findings of analysed recordings, built into their
 * `analysis.duckdb` and printed).
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
  CliError,
  onceEach,
  parseCommand,
  runCommand,
  stopOnSignals,
  usageError,
  userPath,
} from "../../kit/cli.ts";
import { checkSettings, DEFAULT_SETTINGS } from "../correlate/settings.ts";
import { type FindingsCliOptions, run } from "./findings.ts";
import { checkDetectSettings, DEFAULT_DETECT_SETTINGS } from "./settings.ts";

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

const USAGE = "usage: deno task findings [--rebuild] [--sensitive-paths FILE] [--allowlist FILE] " +
  "[--injection-phrases FILE] [--loop-cycles N] [--exfil-window-ms MS] [--window-ms MS] " +
  "[--min-confidence X] RECORDING...";

if (import.meta.main) {
  // Ctrl-C: its temporary files go, what it wrote before stays (kit/cli.ts removeOnStop)
  stopOnSignals("findings");
  await runCommand("findings", USAGE, async (args) => await run(parseFindingsArgs(args)));
}
