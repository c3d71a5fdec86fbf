/**
 * The tunable numbers of correlation, with their defaults and why. They are bound into the
 * SQL as named parameters (`$window_ns`, `$conf_command`, ...), never spliced.
 */

export interface CorrelateSettings {
  /**
   * How long after the end of the answer that asked for it a tool call with neither a result
   * nor a later request of its session may still start acting, in ms. Measured on the three
   * real agents (`deno task eval -- --runs 3`, 72 tool calls; see README.md): a tool's first
   * action came at most 298 ms after the answer ended (Claude Code's first Bash call, which
   * makes a shell snapshot first; Gemini CLI 227 ms; Codex acts up to 41 ms before the answer
   * ends, on the streamed call). With windows alone (`--no-brackets`) 100 ms loses up to 10 %
   * of the links, 200 ms 1-2 %, 300 ms to 2000 ms none. 1000 ms is about three times the
   * slowest start, for loaded machines.
   */
  windowMs: number;
  /** Extra time before the first output of the answer that asked for a tool call, in ms. */
  startSlackMs: number;
  /**
   * Close windows at the request carrying the result back (or the next request). `false`
   * gives every tool call only `windowMs`: the evaluation uses it to test the window alone.
   */
  brackets: boolean;
  /** Links at or above this confidence are attributions (`attribution = 'tool'`). */
  minConfidence: number;
  /** Confidence when a process's argv holds the whole command of the tool call. */
  confCommand: number;
  /** ... when a process's argv is one stage of the command (a pipeline member). */
  confArgv: number;
  /** ... when an exact or resolved path of the input is the file, or a process's argument. */
  confPath: number;
  /** ... when a URL or host name of the input is the DNS name or a process's argument. */
  confHost: number;
  /** ... when only the file name (or a temporary file named after it) matches. */
  confBasename: number;
  /** ... when the agent process connects to the port a URL of the input names. */
  confPort: number;
  /**
   * ... for a branch started in a command's window when no branch matched that command by
   * argument and no other tool call's window holds it (the command ran in an unrecognisable
   * wrapper).
   */
  confExclusive: number;
  /** ... for any other branch started in a tool call's window without an argument match. */
  confTemporal: number;
  /** Factor applied when two or more tool calls match an action equally well. */
  tieFactor: number;
}

export const DEFAULT_SETTINGS: Readonly<CorrelateSettings> = Object.freeze({
  windowMs: 1000,
  startSlackMs: 0,
  brackets: true,
  minConfidence: 0.5,
  confCommand: 0.95,
  confArgv: 0.85,
  confPath: 0.9,
  confHost: 0.85,
  confBasename: 0.65,
  confPort: 0.6,
  confExclusive: 0.55,
  confTemporal: 0.3,
  tieFactor: 0.8,
});

/** The settings as SQL parameters. */
export function settingsParams(s: CorrelateSettings): Record<string, number | bigint | boolean> {
  return {
    use_brackets: s.brackets,
    window_ns: BigInt(Math.round(s.windowMs * 1e6)),
    start_slack_ns: BigInt(Math.round(s.startSlackMs * 1e6)),
    min_confidence: s.minConfidence,
    conf_command: s.confCommand,
    conf_argv: s.confArgv,
    conf_path: s.confPath,
    conf_host: s.confHost,
    conf_basename: s.confBasename,
    conf_port: s.confPort,
    conf_exclusive: s.confExclusive,
    conf_temporal: s.confTemporal,
    tie_factor: s.tieFactor,
  };
}

/** Checks settings given by a user; throws one line naming the bad one. */
export function checkSettings(s: CorrelateSettings): CorrelateSettings {
  for (const [k, v] of Object.entries(s)) {
    if (k === "brackets") {
      if (typeof v !== "boolean") {
        throw new Error(`correlation setting ${k}: expected true or false`);
      }
      continue;
    }
    if (typeof v !== "number" || !Number.isFinite(v) || v < 0) {
      throw new Error(`correlation setting ${k}: expected a number >= 0, got ${v}`);
    }
    if (k.startsWith("conf") || k === "minConfidence" || k === "tieFactor") {
      if (v > 1) throw new Error(`correlation setting ${k}: expected a number in [0, 1]`);
    }
  }
  return s;
}
