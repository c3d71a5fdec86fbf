/**
 * The command line of `deno task findings` (analysis/detect/findings_main.ts) read into the
 * options of findings.ts: the recordings (each once, as the user's paths) and the correlation
 * and detector settings, the built-in pattern files kept and the user's added after them. Each
 * bad input is a usage error of one line (exit 2); a setting out of its range says which
 * (settings.ts checkSettings, checkDetectSettings).
 */
import { CliError, onceEach, parseCommand, usageError, userPath } from "../../kit/cli.ts";
import { checkSettings, DEFAULT_SETTINGS } from "../correlate/settings.ts";
import type { FindingsCliOptions } from "./findings.ts";
import { loadAllowlist, loadInjectionPatterns, loadSensitivePatterns } from "./patterns.ts";
import { checkDetectSettings, DEFAULT_DETECT_SETTINGS } from "./settings.ts";

export const USAGE =
  "usage: deno task findings [--rebuild] [--sensitive-paths FILE] [--allowlist FILE] " +
  "[--injection-phrases FILE] [--loop-cycles N] [--exfil-window-ms MS] [--window-ms MS] " +
  "[--min-confidence X] RECORDING...";

/** Parses the command line. */
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
    const settings = {
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
    };
    // the pattern files read once here: one that cannot be read, or holds a bad line, is said
    // once before any work, not once per recording after its analysis
    loadSensitivePatterns(settings.detect.sensitivePaths);
    loadAllowlist(settings.detect.allowlist);
    loadInjectionPatterns(settings.detect.injectionPhrases);
    return { recordings, rebuild: v.rebuild, settings };
  } catch (e) {
    if (e instanceof CliError) throw e;
    throw usageError((e as Error).message);
  }
}
