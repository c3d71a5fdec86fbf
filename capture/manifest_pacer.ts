/**
 * When a running capture rewrites manifest.json: at most every PACE_MS, since its rows and
 * bytes change with every one-second flush and each rewrite (JSON text, a temp file, a rename)
 * cost the idle capture more than anything else it did each second (Session 7 of
 * reports/bench/capture.md); but at once, at the next flush, whenever what would alarm a reader
 * grew (a warning, an error, a record dropped, a row lost, a program run the kernel skipped),
 * so that pacing never hides a failure from someone watching the recording, or from a reader
 * after a SIGKILL. The end of the capture writes it regardless (recorder.ts).
 */
import type { Manifest } from "../recording/manifest.ts";

export const PACE_MS = 5000;

/**
 * What in a manifest tells of trouble, as one number that only grows during a capture; `lost`:
 * the rows lost so far, where the manifest's tables have not been brought up to date yet.
 */
export function alarms(m: Manifest, lost?: number): number {
  let n = m.warnings.length + m.errors.length + m.missed_runs;
  for (const d of Object.values(m.drops)) n += d;
  if (lost !== undefined) return n + lost;
  for (const t of Object.values(m.tables)) n += t.lost ?? 0;
  return n;
}

export class ManifestPacer {
  #last = -Infinity;
  #alarms = 0;
  constructor(
    private readonly paceMs = PACE_MS,
    private readonly now: () => number = () => performance.now(),
  ) {}

  /** Whether the manifest is to be written now (`lost`: see alarms). */
  due(m: Manifest, lost?: number): boolean {
    return this.now() - this.#last >= this.paceMs || alarms(m, lost) > this.#alarms;
  }

  /** Says that `m` was written (a write that failed is tried again at the next flush). */
  wrote(m: Manifest, lost?: number): void {
    this.#last = this.now();
    this.#alarms = alarms(m, lost);
  }
}
