/**
 * The running capture's step every second, the session's flush (recorder.ts starts it once
 * the loader is connected and stops it at the end): the record sink's tick and flush
 * (record_sink.ts: rows to their files), the manifest brought up to date and rewritten when due
 * (manifest_pacer.ts: at most every 5 s, at once when a warning, an error or a loss is new),
 * room kept on the disk for the last manifest as it grows (recording/manifest_reserve.ts), and
 * the live status line. What the disk refuses is held by the sink and the capture goes on: the
 * command is never stopped for the recording's sake; the end says what could not be written.
 */
import { type Manifest, writeManifest } from "../recording/manifest.ts";
import { keepManifestRoom } from "../recording/manifest_reserve.ts";
import { ManifestPacer } from "./manifest_pacer.ts";
import type { RecordSink } from "./record_sink.ts";

/** What the flush works on. */
export interface LiveFlushTarget {
  dir: string;
  manifest: Manifest;
  sink: Pick<RecordSink, "flush" | "tick" | "counters">;
  /** brings the manifest up to date with the sink's counts (recorder.ts) */
  refresh: () => void;
  /** the manifest as the capture last wrote it (its start) */
  written: string;
}

export class LiveFlush {
  #written: string;
  #roomFor: number;
  #timer: { stop(): void } | null = null;
  #status = false;

  /** Keeps room for a manifest as large as the one written at the start. */
  constructor(private readonly t: LiveFlushTarget, private readonly pacer = new ManifestPacer()) {
    this.#written = t.written;
    this.#roomFor = t.written.length;
    keepManifestRoom(t.dir, this.#roomFor);
  }

  /**
   * The sink's rows to their files; the manifest, when due, brought up to date and written. It
   * is not brought up to date in between (the sink's counts, the attach report and the blind
   * spots, rebuilt: most of an idle second's flush); what decides whether it is due, the
   * warnings, errors, drops and missed runs, is in it as it comes, and the rows lost are the
   * sink's own count.
   */
  flush(): void {
    const { dir, manifest, sink } = this.t;
    sink.flush();
    const lost = sink.counters.diskLost;
    if (!this.pacer.due(manifest, lost)) return;
    this.t.refresh();
    try {
      this.#written = writeManifest(dir, manifest, this.#written);
    } catch {
      return; // no room: the one written before stays, the last one has the reserve
    }
    this.pacer.wrote(manifest, lost);
    if (this.#written.length > this.#roomFor) {
      keepManifestRoom(dir, this.#roomFor = this.#written.length);
    }
  }

  /** Every `ms`: the sink's tick, the flush and (with `status`) the status line on stderr. */
  start(status: boolean, ms = 1000, tick = every): void {
    this.#status = status;
    this.#timer = tick(ms, () => {
      this.t.sink.tick();
      this.flush();
      if (status) {
        Deno.stderr.writeSync(new TextEncoder().encode(`\r\x1b[K${this.t.sink.counters.line()}`));
      }
    });
  }

  /** Stops the timer and clears the status line. */
  stop(): void {
    this.#timer?.stop();
    this.#timer = null;
    if (this.#status) Deno.stderr.writeSync(new TextEncoder().encode("\r\x1b[K"));
  }
}

/**
 * A sleep without the global timers: since Deno 2 they are node:timers, whose first use loads
 * node's internals (async_hooks, errors, validators, inspect: 8-11 ms of the main thread's CPU
 * on this machine), where AbortSignal.timeout uses the runtime's own timer (1-5 ms the first
 * time). It cannot be cancelled: a stopped every() lets its last sleep run out (at most one
 * period; the CLI exits without waiting for it).
 */
export function sleep(ms: number): Promise<void> {
  const signal = AbortSignal.timeout(ms);
  return new Promise((resolve) =>
    signal.addEventListener("abort", () => resolve(), { once: true })
  );
}

/** Calls fn every `ms` milliseconds (after each sleep) until stop(). */
export function every(ms: number, fn: () => void): { stop(): void } {
  let stopped = false;
  (async () => {
    while (!stopped) {
      await sleep(ms);
      if (!stopped) fn();
    }
  })();
  return { stop: () => stopped = true };
}
