/**
 * Inspection off the capture's main thread. The first capture of a big binary not yet in the
 * caches (Claude Code's ~380 MB Bun binary: ~3 s in the static-binary locator) blocked Deno's
 * main thread: no other process's gate stop was answered, no record decoded, until it was
 * done. OffThreadInspector runs such inspections in a Deno Worker (inspect_worker.ts), started
 * at its first request; the process that waits for that file's hooks still waits for them,
 * everything else goes on.
 *
 * A worker that fails (it cannot start, or dies) is loud and loses nothing: the requests it had
 * and every later one are answered on the main thread (as before this module), and warning()
 * says so for the manifest. A request that throws in the worker rejects with its error, as the
 * same call on the main thread would.
 */
import { type Inspection } from "./tls_targets.ts";
import { inspectFileCached } from "./inspect_cache.ts";
import type { LocateResult } from "./locate/mod.ts";
import type { InspectReply, InspectRequest } from "./inspect_worker.ts";

/** Files at least this big are inspected off the main thread (OffThreadInspector); smaller
 * ones take milliseconds (bash, 1 MiB: ~25 ms with the locator's quick scan, the first time). */
export const OFF_THREAD_MIN_BYTES = 8 << 20;

type Ask = InspectRequest;

interface Pending {
  q: Ask;
  onCacheError?: (why: string) => void;
  resolve: (v: Inspection | LocateResult) => void;
  reject: (e: Error) => void;
}

/** The end's warning for a worker that failed (`why`, one line) after which `n` requests were
 * (inspections of a file, or the locator's) were done on the main thread. */
export function workerWarning(why: string, n: number): string {
  return `the capture's inspection worker failed (${why}): ${n} inspection${
    n === 1 ? " was" : "s were"
  } done on its main thread instead, where each held the gate's other stops and the ` +
    "reading of records meanwhile (slower); nothing was lost";
}

export class OffThreadInspector {
  readonly #url: URL;
  #worker?: Worker;
  #next = 1;
  #pending = new Map<number, Pending>();
  #failure?: string;
  #onMainThread = 0;
  #closed = false;

  /** `url`: the worker's module (inspect_worker.ts; another only to see one fail) */
  constructor(url = new URL("./inspect_worker.ts", import.meta.url)) {
    this.#url = url;
  }

  /** inspectFileCached(path, dir, onCacheError), in the worker. */
  inspect(path: string, dir?: string, onCacheError?: (why: string) => void): Promise<Inspection> {
    return this.#ask({ id: this.#next++, op: "inspect", path, dir }, onCacheError) as Promise<
      Inspection
    >;
  }

  /** locate(path, { cacheDir, onCacheError }), in the worker. */
  locate(
    path: string,
    cacheDir?: string,
    onCacheError?: (why: string) => void,
  ): Promise<LocateResult> {
    return this.#ask({ id: this.#next++, op: "locate", path, cacheDir }, onCacheError) as Promise<
      LocateResult
    >;
  }

  /** Whether the worker was started (a capture whose files were all cached never starts it). */
  get started(): boolean {
    return this.#worker !== undefined || this.#failure !== undefined;
  }

  /** The end's warning when the worker failed, or undefined. */
  warning(): string | undefined {
    return this.#failure === undefined
      ? undefined
      : workerWarning(this.#failure, this.#onMainThread);
  }

  /**
   * Ends the worker (at the capture's end; requests after this run on the main thread).
   * `abandon`: the capture ends before it needs the answers (its start was interrupted): the
   * requests under way are rejected, not done again here (seconds for a big binary).
   */
  close(abandon = false): void {
    this.#closed = true;
    this.#worker?.terminate();
    this.#worker = undefined;
    // none should be left (the capture waited for its gate stops): answered here all the same
    for (const p of this.#drain()) {
      if (abandon) p.reject(new Error("the capture ended before its inspection"));
      else this.#inline(p);
    }
  }

  #ask(q: Ask, onCacheError?: (why: string) => void): Promise<Inspection | LocateResult> {
    return new Promise((resolve, reject) => {
      const p: Pending = { q, onCacheError, resolve, reject };
      if (this.#failure !== undefined || this.#closed) return this.#inline(p);
      try {
        this.#worker ??= this.#spawn();
      } catch (e) {
        this.#fail((e as Error).message);
        return this.#inline(p);
      }
      this.#pending.set(q.id, p);
      this.#worker.postMessage(q);
    });
  }

  #spawn(): Worker {
    const w = new Worker(this.#url.href, { type: "module" });
    w.onmessage = (e: MessageEvent<InspectReply>) => {
      const r = e.data;
      const p = this.#pending.get(r.id);
      if (!p) return;
      this.#pending.delete(r.id);
      if (r.cacheError !== undefined) p.onCacheError?.(r.cacheError);
      if (r.error !== undefined) p.reject(new Error(r.error));
      else p.resolve(r.value!);
    };
    // an error the worker did not catch (its module failed to load, it threw outside a
    // request) would end the whole capture if left unhandled: it ends the worker instead
    w.onerror = (e: ErrorEvent) => {
      e.preventDefault();
      this.#fail(e.message || "an error without a message");
    };
    w.onmessageerror = () => this.#fail("an answer could not be read");
    return w;
  }

  #fail(why: string): void {
    // one line: Deno's messages may span several, with terminal colours
    // deno-lint-ignore no-control-regex
    this.#failure ??= why.replace(/\x1b\[[0-9;]*m/g, "").replace(/\s+/g, " ").trim();
    this.#worker?.terminate();
    this.#worker = undefined;
    for (const p of this.#drain()) this.#inline(p);
  }

  #drain(): Pending[] {
    const all = [...this.#pending.values()];
    this.#pending.clear();
    return all;
  }

  /** The request on this thread, as it was done before the worker. */
  #inline(p: Pending): void {
    this.#onMainThread++;
    const { q } = p;
    if (q.op === "inspect") {
      try {
        p.resolve(inspectFileCached(q.path, q.dir, p.onCacheError));
      } catch (e) {
        p.reject(e as Error);
      }
      return;
    }
    // loaded only here: the capture's start-up does not load the locator's modules
    import(new URL("./locate/mod.ts", import.meta.url).href)
      .then((m: typeof import("./locate/mod.ts")) =>
        m.locate(q.path, { cacheDir: q.cacheDir, onCacheError: p.onCacheError })
      )
      .then(p.resolve, p.reject);
  }
}
