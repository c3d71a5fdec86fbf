/**
 * Matching a function's error-site sequence against a signature.
 *
 * A signature is the order of `OPENSSL_PUT_ERROR` reasons in a function's source. Reason codes
 * are part of the libraries' public headers and never renumbered, and the order of checks in
 * these API functions changes rarely; line numbers drift with every edit of the file, so they
 * only order the sites (and break ties), never identify them. A step may be optional (a check
 * that some versions have), and `anyOf` lets one step accept either of two reasons (a check
 * that moved or was renamed between versions).
 */

import type { ElfFile } from "../elf.ts";
import { describeSites, type ErrorSite, type SiteFunction } from "./error_sites.ts";
import { hex } from "./hex.ts";
import type { HookFn, LocatedHook } from "./types.ts";

/** Reason names by code, from a table of reason codes by name (for evidence strings). */
export function reasonNames(reasons: Record<string, number>): Record<number, string> {
  return Object.fromEntries(Object.entries(reasons).map(([k, v]) => [v, k]));
}

export interface Step {
  anyOf: number[];
  optional?: boolean;
}

export interface SequenceMatch {
  /** Matched sites, in order (one per matched step). */
  sites: ErrorSite[];
  /** Required and optional steps matched / steps in the signature. */
  matched: number;
  total: number;
}

/**
 * Matches `steps` as a subsequence of `sites` (sorted by line). Greedy earliest match per step;
 * returns undefined when a required step is missing.
 */
export function matchSteps(sites: ErrorSite[], steps: Step[]): SequenceMatch | undefined {
  const picked: ErrorSite[] = [];
  let pos = 0;
  for (const step of steps) {
    let k = pos;
    while (k < sites.length && !step.anyOf.includes(sites[k].reason ?? -1)) k++;
    if (k < sites.length) {
      picked.push(sites[k]);
      pos = k + 1;
    } else if (!step.optional) return undefined;
  }
  return { sites: picked, matched: picked.length, total: steps.length };
}

/** True when `fn` has a site whose reason is one of `reasons`. */
export function hasReason(fn: SiteFunction, reasons: number[]): boolean {
  return fn.sites.some((s) => reasons.includes(s.reason ?? -1));
}

/**
 * The functions whose own sites match one of `signatures` (the first that matches, in order)
 * and have none of the `exclude` reasons: the candidates for one API function.
 */
export function candidates(
  fns: SiteFunction[],
  signatures: Step[][],
  exclude: number[] = [],
): Candidate[] {
  const out: Candidate[] = [];
  for (const fn of fns) {
    if (hasReason(fn, exclude)) continue;
    for (const steps of signatures) {
      const match = matchSteps(fn.sites, steps);
      if (match) {
        out.push({ fn, match });
        break;
      }
    }
  }
  return out;
}

/** Line span of a match (last - first), for tie-breaking between candidates. */
export function lineSpan(m: SequenceMatch): number {
  const lines = m.sites.map((s) => s.line ?? 0);
  return lines.length ? Math.max(...lines) - Math.min(...lines) : 0;
}

/** How a function's start was found, for evidence strings. */
export function startHow(fn: Pick<SiteFunction, "how">): string {
  if (fn.how === "eh_frame") return "bounds from .eh_frame_hdr";
  return fn.how === "call-target" ? "start is a direct call target" : "start after int3 padding";
}

/** The bounds method for a result's `method`. */
export function boundsMethod(fn: SiteFunction): string {
  return fn.how === "eh_frame" ? ".eh_frame_hdr" : "int3 padding and call targets";
}

export interface Candidate {
  fn: SiteFunction;
  match: SequenceMatch;
}

/** Candidates best first: the most complete match, then the shortest line span. */
export function byTightestMatch(c: Candidate[]): Candidate[] {
  return [...c].sort((a, b) =>
    b.match.matched - a.match.matched || lineSpan(a.match) - lineSpan(b.match)
  );
}

/**
 * The evidence of a located function: the `file`'s sites it matched in line order (`names`:
 * reason names), its bounds, how many direct calls reach it and how many candidates there were.
 */
export function siteEvidence(
  file: string,
  names: Record<number, string>,
  fn: SiteFunction,
  m: SequenceMatch,
  n: number,
  calls: number,
): string {
  return `${file} sites in line order ${describeSites(m.sites, names)}` +
    ` (${m.matched}/${m.total} steps) in fn ${hex(fn.start)}..${hex(fn.end)}; ${startHow(fn)}` +
    `${calls ? `, ${calls} direct calls` : ""}; ${n === 1 ? "unique" : `${n} candidates`}`;
}

/**
 * Confidence of a located function: a unique match on a function whose start is exact
 * (eh_frame) or confirmed by direct calls scores high; each doubt takes some away.
 */
export function confidence(opts: {
  candidates: number;
  match: SequenceMatch;
  exactStart: boolean;
  directCalls: number;
}): number {
  let c = 0.55;
  if (opts.exactStart) c += 0.2;
  else if (opts.directCalls > 0) c += 0.15;
  if (opts.directCalls > 0) c += 0.1;
  c += 0.14 * (opts.match.matched / opts.match.total);
  if (opts.candidates > 1) c *= 0.5;
  return Math.round(Math.min(c, 0.99) * 100) / 100;
}

/**
 * The hook for a located function: its file offset, {@linkcode confidence} and the evidence
 * text ({@linkcode siteEvidence}: `file`'s sites, `names` their reasons); undefined when its
 * start is in no loadable segment of the file.
 */
export function locatedHook(
  elf: ElfFile,
  fn: HookFn,
  c: Candidate,
  candidates: number,
  file: string,
  names: Record<number, string>,
): LocatedHook | undefined {
  const fileOffset = elf.vaddrToOffset(c.fn.start);
  if (fileOffset === undefined) return undefined;
  const directCalls = c.fn.directCalls ?? 0;
  return {
    fn,
    vaddr: c.fn.start,
    fileOffset,
    confidence: confidence({
      candidates,
      match: c.match,
      exactStart: c.fn.how === "eh_frame",
      directCalls,
    }),
    evidence: siteEvidence(file, names, c.fn, c.match, candidates, directCalls),
  };
}
