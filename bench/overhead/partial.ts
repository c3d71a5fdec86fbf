/**
 * The overhead benchmark's partial results: a JSON-lines file the run appends to as it goes
 * (OUT/overhead.partial.jsonl), so that a run interrupted after an hour of realistic pairs
 * (a signal, a reboot, a lost session) is resumed with `deno task bench --continue FILE`
 * rather than started over. Lines: `start` (the options, the date, the load average),
 * `run` (one measured run), `pair` (pair i of a cell is complete, and how long it took),
 * `cell` (a cell is finished: its summary), `resumed` (a --continue began). A torn last line
 * (killed mid-write) is ignored. Resuming keeps every finished cell and every complete pair of
 * the interrupted cell; a pair cut in half is measured again whole, at the same index, so the
 * interleaving (B C, C B, ...) goes on as if nothing happened.
 */
import type { RunMeasure } from "./measured_run.ts";
import type { TimingMode } from "./transcripts.ts";

export interface CellKey {
  agent: string;
  workload: string;
  timing: TimingMode;
}

/** A line of the file; O: the run's options (run.ts StoredOptions), C: a cell (run.ts Cell). */
export type PartialLine<O = unknown, C extends CellKey = CellKey> =
  | { kind: "start"; options: O; out: string; date: string; load: number }
  | { kind: "run"; run: RunMeasure }
  | ({ kind: "pair"; pair: number; ms: number } & CellKey)
  | { kind: "cell"; cell: C }
  | { kind: "resumed"; date: string; runs: number };

export interface Partial<O = unknown, C extends CellKey = CellKey> {
  start: { kind: "start"; options: O; out: string; date: string; load: number };
  runs: RunMeasure[];
  pairs: ({ kind: "pair"; pair: number; ms: number } & CellKey)[];
  cells: C[];
  /** when each --continue began */
  resumed: string[];
}

export const PARTIAL_FILE = "overhead.partial.jsonl";

/** Appends lines to the partial results file, one write each. */
export class PartialLog<O = unknown, C extends CellKey = CellKey> {
  constructor(readonly path: string) {}
  append(line: PartialLine<O, C>): void {
    Deno.writeTextFileSync(this.path, JSON.stringify(line) + "\n", { append: true });
  }
}

const same = (k: CellKey, x: CellKey) =>
  k.agent === x.agent && k.workload === x.workload && k.timing === x.timing;

/** Reads a partial results file's text; throws one line when it is not one. */
export function readPartial<O = unknown, C extends CellKey = CellKey>(
  text: string,
  name = "the file",
): Partial<O, C> {
  const lines: PartialLine<O, C>[] = [];
  const raw = text.split("\n");
  for (let i = 0; i < raw.length; i++) {
    if (!raw[i].trim()) continue;
    try {
      lines.push(JSON.parse(raw[i]));
    } catch {
      if (raw.slice(i + 1).some((l) => l.trim())) {
        throw new Error(`${name}: line ${i + 1} is not JSON: not a partial results file`);
      }
      // the last line, torn by the interruption: that run is measured again
    }
  }
  const start = lines[0];
  if (start?.kind !== "start") {
    throw new Error(`${name}: no start line: not a partial results file of deno task bench`);
  }
  const p: Partial<O, C> = { start, runs: [], pairs: [], cells: [], resumed: [] };
  for (const l of lines.slice(1)) {
    if (l.kind === "run") p.runs.push(l.run);
    else if (l.kind === "pair") p.pairs.push(l);
    else if (l.kind === "cell") p.cells.push(l.cell);
    else if (l.kind === "resumed") p.resumed.push(l.date);
  }
  return p;
}

/** Where a cell stands in a partial run. */
export interface CellResume<C> {
  /** the cell's summary, when it was finished */
  done?: C;
  /** its runs: all of a finished cell's; the complete pairs' of an unfinished one */
  runs: RunMeasure[];
  /** the complete pairs' durations, ms, in pair order */
  pairMs: number[];
  /** the index of the next pair to measure */
  next: number;
}

/** What of cell `k` a partial run already has. */
export function cellResume<O, C extends CellKey>(
  p: Partial<O, C> | undefined,
  k: CellKey,
): CellResume<C> {
  if (!p) return { runs: [], pairMs: [], next: 0 };
  // a pair measured again after an interruption: its last runs count
  const last = new Map<string, RunMeasure>();
  for (const r of p.runs) {
    if (r.agent === k.agent && r.workload === k.workload && r.timing === k.timing) {
      if ((r.pair ?? -1) >= 0) last.set(`${r.pair}/${r.mode}`, r);
    }
  }
  const runs = [...last.values()].sort((a, b) => a.pair! - b.pair!);
  const done = p.cells.find((c) => same(k, c));
  const pairs = p.pairs.filter((x) => same(k, x)).sort((a, b) => a.pair - b.pair);
  if (done) return { done, runs, pairMs: pairs.map((x) => x.ms), next: pairs.length };
  // only whole pairs count: a pair logged complete has both its runs
  const complete = new Set(pairs.map((x) => x.pair));
  let next = 0;
  while (complete.has(next)) next++;
  const kept = pairs.filter((x) => x.pair < next);
  return {
    runs: runs.filter((r) => (r.pair ?? -1) < next),
    pairMs: kept.map((x) => x.ms),
    next,
  };
}
