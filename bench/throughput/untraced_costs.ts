/**
 * The arithmetic of what a process outside a capture pays per system call (untraced.ts
 * measures): the A/B's paired blocks into a cost with its interval, and the kernel's
 * per-program counters over the loop's windows, less those over idle windows as long, into
 * nanoseconds per call of the loop.
 */
import type { ProgramCounters } from "./bpf_stats.ts";
import {
  median,
  type MedianCi,
  medianCi,
  type PairedCi,
  pairedRatioCi,
} from "../overhead/stats.ts";

/** A plain system call in a process outside the capture, without and with one running. */
export interface SyscallCost {
  op: string;
  what: string;
  /** thread CPU ns per call: the medians of the blocks without and with a capture */
  withoutNs: number;
  withNs: number;
  /** with − without of each pair, ns per call: the median and its 95% interval */
  diff: MedianCi;
  /** with / without of each pair: geometric mean and 95% t interval */
  ratio: PairedCi;
  /** pairs whose block with the capture was the dearer */
  higher: number;
  /** the median difference of the pairs run without-with and of those run with-without: far
   * apart, the order matters (a start or stop just before a block weighs on it) */
  byOrder?: { withoutFirst: number; withFirst: number };
  pairs: number;
  callsPerBlock: number;
}

/** Pairs fewer than this leave the median's 95% interval unbounded (medianCi). */
export const MIN_PAIRS = 6;

/**
 * Pairs up the blocks (index i of each is pair i) into a SyscallCost; `withFirst[i]`: pair i
 * ran its with-block first. Throws when the arms (or `withFirst`) differ in length: a block
 * lost on one side would shift every pair after it.
 */
export function pairedCost(
  op: string,
  what: string,
  without: readonly number[],
  withC: readonly number[],
  callsPerBlock: number,
  withFirst?: readonly boolean[],
): SyscallCost {
  const n = without.length;
  if (withC.length !== n || (withFirst && withFirst.length !== n)) {
    throw new Error(
      `pairedCost ${op}: ${n} blocks without, ${withC.length} with` +
        (withFirst ? `, ${withFirst.length} orders` : "") + ": the arms must pair up",
    );
  }
  const diffs = Array.from({ length: n }, (_, i) => withC[i] - without[i]);
  const ordered = (first: boolean) => median(diffs.filter((_, i) => withFirst?.[i] === first));
  return {
    ...(withFirst ? { byOrder: { withoutFirst: ordered(false), withFirst: ordered(true) } } : {}),
    op,
    what,
    withoutNs: median(without),
    withNs: median(withC),
    diff: medianCi(diffs),
    ratio: pairedRatioCi(without, withC),
    higher: diffs.filter((d) => d > 0).length,
    pairs: n,
    callsPerBlock,
  };
}

/** One program's share of an untraced loop's calls (kernel bpf_stats). */
export interface ProgramCallCost {
  name: string;
  /** runs and ns inside the program over the loop's windows, and over the idle windows */
  loopRuns: number;
  loopNs: number;
  idleRuns: number;
  idleNs: number;
  /** ns per run over the loop's windows (the loop's runs and the rest of the machine's) */
  nsPerRun: number;
  /** (loop − idle) runs and ns per call of the loop */
  runsPerCall: number;
  nsPerCall: number;
}

/** The programs' cost per call of one loop: per program, and in all. */
export interface ProgramsPerCall {
  op: string;
  what: string;
  /** calls of the loop over all its windows, and the system calls each call makes */
  calls: number;
  syscallsPerCall: number;
  windows: number;
  programs: ProgramCallCost[];
  /** every program: ns per call of the loop, idle windows subtracted */
  nsPerCall: number;
  /** of the runs in the loop's windows, the share the idle windows account for (the rest of
   * the machine: bpftool, the benchmark, other processes) */
  othersShare: number;
}

/**
 * Sums per-program deltas over the loop's windows and the idle windows (each idle window as
 * long as a loop window) and divides what the loop added by its calls.
 */
export function programsPerCall(
  op: string,
  what: string,
  loops: readonly (readonly ProgramCounters[])[],
  idles: readonly (readonly ProgramCounters[])[],
  calls: number,
  syscallsPerCall: number,
): ProgramsPerCall {
  const sum = (windows: readonly (readonly ProgramCounters[])[]) => {
    const by = new Map<string, { runs: number; ns: number }>();
    for (const w of windows) {
      for (const p of w) {
        const s = by.get(p.name) ?? { runs: 0, ns: 0 };
        s.runs += p.runs;
        s.ns += p.ns;
        by.set(p.name, s);
      }
    }
    return by;
  };
  const loop = sum(loops), idle = sum(idles);
  const programs = [...loop.entries()].map(([name, l]) => {
    const i = idle.get(name) ?? { runs: 0, ns: 0 };
    return {
      name,
      loopRuns: l.runs,
      loopNs: l.ns,
      idleRuns: i.runs,
      idleNs: i.ns,
      nsPerRun: l.ns / l.runs,
      runsPerCall: (l.runs - i.runs) / calls,
      nsPerCall: (l.ns - i.ns) / calls,
    };
  }).sort((a, b) => b.nsPerCall - a.nsPerCall || a.name.localeCompare(b.name));
  const loopRuns = programs.reduce((s, p) => s + p.loopRuns, 0);
  const idleRuns = programs.reduce((s, p) => s + p.idleRuns, 0);
  return {
    op,
    what,
    calls,
    syscallsPerCall,
    windows: loops.length,
    programs,
    nsPerCall: programs.reduce((s, p) => s + p.nsPerCall, 0),
    othersShare: loopRuns ? idleRuns / loopRuns : 0,
  };
}
