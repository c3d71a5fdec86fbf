/**
 * The detectors' thresholds and pattern files, with their defaults and why. Numbers are bound
 * into the SQL as named parameters; pattern files are loaded into tables.
 */
import {
  DEFAULT_ALLOWLIST,
  DEFAULT_INJECTION_PHRASES,
  DEFAULT_PERSISTENCE_PATHS,
  DEFAULT_SENSITIVE_PATHS,
} from "./patterns.ts";

export interface DetectSettings {
  /** Sensitive path pattern files (the first is the built-in list). */
  sensitivePaths: string[];
  /** Persistence path pattern files (writes that are never a server's own state). */
  persistencePaths: string[];
  /** Allowlist files. */
  allowlist: string[];
  /** Instruction-like phrase files. */
  injectionPhrases: string[];
  /**
   * Exfiltration: how long after a sensitive read a connection or DNS question to a host
   * outside the allowlist still counts, in ms. 10 minutes: an agent that reads a secret and
   * sends it a few tool calls later is the case to catch; a session-long window would tie
   * unrelated reads and uploads of long sessions together.
   */
  exfilWindowMs: number;
  /**
   * Reasoning loop: identical failing tool calls in a row before it is a loop. 3, as in the
   * AgentSight paper: one retry after a failure is reasonable, a second identical one with the
   * same error means the model is not using the result.
   */
  loopCycles: number;
  /**
   * Multi-agent: failed attempts on a file another session holds before `file_contention` is
   * reported (fewer is ordinary lock traffic).
   */
  contentionRetries: number;
  /** Multi-agent: share of wall time blocked at which `agent_blocked` becomes `medium`. */
  blockedShareMedium: number;
  /** Multi-agent: blocked time below which a wait is not reported, in ms. */
  minBlockedMs: number;
  /** Prompt injection: terms shorter than this are not matched against the injected text. */
  minTermLength: number;
}

export const DEFAULT_DETECT_SETTINGS: Readonly<DetectSettings> = Object.freeze({
  sensitivePaths: [DEFAULT_SENSITIVE_PATHS],
  persistencePaths: [DEFAULT_PERSISTENCE_PATHS],
  allowlist: [DEFAULT_ALLOWLIST],
  injectionPhrases: [DEFAULT_INJECTION_PHRASES],
  exfilWindowMs: 600_000,
  loopCycles: 3,
  contentionRetries: 3,
  blockedShareMedium: 0.25,
  minBlockedMs: 200,
  minTermLength: 4,
});

export function detectParams(
  s: DetectSettings,
): Record<string, number | bigint> {
  return {
    exfil_window_ns: BigInt(Math.round(s.exfilWindowMs * 1e6)),
    loop_cycles: s.loopCycles,
    contention_retries: s.contentionRetries,
    blocked_share_medium: s.blockedShareMedium,
    min_blocked_ns: BigInt(Math.round(s.minBlockedMs * 1e6)),
    min_term_length: s.minTermLength,
  };
}

/** Checks settings given by a user; throws one line naming the bad one. */
export function checkDetectSettings(s: DetectSettings): DetectSettings {
  const whole = ["loopCycles", "contentionRetries", "minTermLength"] as const;
  for (const k of whole) {
    if (!Number.isInteger(s[k]) || s[k] < 1) {
      throw new Error(
        `detector setting ${k}: expected a whole number >= 1, got ${s[k]}`,
      );
    }
  }
  for (const k of ["exfilWindowMs", "minBlockedMs"] as const) {
    if (!(s[k] >= 0)) {
      throw new Error(`detector setting ${k}: expected ms >= 0, got ${s[k]}`);
    }
  }
  if (!(s.blockedShareMedium >= 0 && s.blockedShareMedium <= 1)) {
    throw new Error(
      "detector setting blockedShareMedium: expected a share in [0, 1]",
    );
  }
  return s;
}
