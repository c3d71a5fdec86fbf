/**
 * A full garbage collection, asked of V8 as `--expose-gc` would allow, for a program that
 * leaves much garbage behind one step before another whose memory peaks for other reasons:
 * V8 collects as the JS thread allocates, so garbage left when it goes on to wait (on DuckDB,
 * say) may stay in memory through that peak.
 */
import v8 from "node:v8";
import vm from "node:vm";

let gc: (() => void) | null | undefined;

/** Collects garbage now; false when the runtime does not allow it (nothing is done). */
export function collectGarbage(): boolean {
  if (gc === undefined) {
    try {
      // the flag installs `gc` in contexts made after it is set: a fresh one hands it over
      v8.setFlagsFromString("--expose-gc");
      const f = vm.runInNewContext("gc");
      gc = typeof f === "function" ? f as () => void : null;
    } catch {
      gc = null;
    }
  }
  if (!gc) return false;
  gc();
  return true;
}

/**
 * Collects garbage when V8's heap holds more than `bytes` in use (live objects and garbage not
 * yet collected); true when it did. Cheap to call often: it reads V8's heap statistics.
 */
export function collectGarbageAbove(bytes: number): boolean {
  if (v8.getHeapStatistics().used_heap_size <= bytes) return false;
  return collectGarbage();
}

/**
 * A `collectGarbageAbove(bytes)` that also waits until the heap holds `growth` more than the
 * last collection left in use: when what stays live comes near `bytes` (the parse's stubs at
 * 10M), the plain bound would collect at every call, each a full collection freeing little.
 * The heap reaches at most `bytes` or what stays live plus `growth`, whichever is more.
 */
export function collectorAbove(bytes: number, growth: number): () => boolean {
  let left = -Infinity; // nothing collected yet: the plain bound
  return () => {
    if (!collectGarbageAbove(Math.max(bytes, left + growth))) return false;
    left = v8.getHeapStatistics().used_heap_size;
    return true;
  };
}
