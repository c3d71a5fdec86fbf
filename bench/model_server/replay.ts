/**
 * Replay of a transcript: hands out its exchanges in order to matching requests (same method,
 * same path without the query, and the same kind when both the exchange and the request have
 * one), each at most once.
 */

import type { RequestKind } from "./request_kind.ts";
import type { Transcript, TranscriptExchange } from "./transcript.ts";

function pathname(path: string): string {
  const q = path.indexOf("?");
  return q < 0 ? path : path.slice(0, q);
}

export class ReplayQueue {
  private readonly used: boolean[];
  constructor(readonly transcript: Transcript) {
    this.used = transcript.exchanges.map(() => false);
  }

  /** The first unused exchange matching the request, marked used; undefined if none. */
  take(
    method: string,
    path: string,
    kind?: RequestKind,
  ): TranscriptExchange | undefined {
    const want = pathname(path);
    const m = method.toUpperCase();
    const i = this.transcript.exchanges.findIndex((e, i) =>
      !this.used[i] && e.method === m && pathname(e.path) === want &&
      (e.kind === undefined || kind === undefined || e.kind === kind)
    );
    if (i < 0) return undefined;
    this.used[i] = true;
    return this.transcript.exchanges[i];
  }

  /** How many exchanges have not been served. */
  remaining(): number {
    return this.used.filter((u) => !u).length;
  }
}
