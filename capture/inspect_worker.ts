/**
 * The body of the capture's inspection worker (off_thread.ts starts it): inspects a file
 * (inspect_cache.ts inspectFileCached) or runs the static-binary locator on it (locate/mod.ts)
 * and posts the answer back. A big binary takes seconds (the locator on Claude Code's ~380 MB
 * Bun binary, ~3 s): here, the capture's main thread keeps answering the gate's other stops
 * and decoding records meanwhile. A request that throws is answered with its error; the
 * answers write the same caches an inspection on the main thread writes.
 */
/// <reference lib="deno.worker" />
import { inspectFileCached } from "./inspect_cache.ts";
import { locate } from "./locate/mod.ts";
import type { Inspection } from "./tls_targets.ts";
import type { LocateResult } from "./locate/mod.ts";

/** What the main thread asks: `dir` / `cacheDir` as the in-thread calls take them. */
export type InspectRequest =
  | { id: number; op: "inspect"; path: string; dir?: string }
  | { id: number; op: "locate"; path: string; cacheDir?: string };

/** The answer: the value, or the error thrown; `cacheError`, why the cache was not written. */
export interface InspectReply {
  id: number;
  value?: Inspection | LocateResult;
  error?: string;
  cacheError?: string;
}

self.onmessage = async (e: MessageEvent<InspectRequest>) => {
  const q = e.data;
  let cacheError: string | undefined;
  const note = (why: string) => void (cacheError ??= why);
  let reply: InspectReply;
  try {
    const value = q.op === "inspect"
      ? inspectFileCached(q.path, q.dir, note)
      : await locate(q.path, { cacheDir: q.cacheDir, onCacheError: note });
    reply = { id: q.id, value };
  } catch (err) {
    reply = { id: q.id, error: err instanceof Error ? err.message : String(err) };
  }
  self.postMessage(cacheError === undefined ? reply : { ...reply, cacheError });
};
