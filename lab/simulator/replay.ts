/**
 * Replay of a transcript: hands out its exchanges in order to matching requests (same method,
 * same path without the query, and the same kind when both the exchange and the request have
 * one), each at most once, and turns an exchange back into a response to send: its pieces and,
 * when the transcript has the model's timing, the pause before each.
 */

import type { RequestKind } from "./request_kind.ts";
import {
  exchangeBody,
  type Transcript,
  TranscriptError,
  type TranscriptExchange,
} from "./transcript.ts";

function pathname(path: string): string {
  const q = path.indexOf("?");
  return q < 0 ? path : path.slice(0, q);
}

export class ReplayQueue {
  private readonly used: boolean[];
  constructor(readonly transcript: Transcript, source = "<transcript>") {
    checkTiming(transcript, source);
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

/** Headers that must not be copied from a transcript into a response. */
const HOP_HEADERS = new Set([
  "connection",
  "keep-alive",
  "transfer-encoding",
  "upgrade",
  "proxy-connection",
  "content-length",
  "http2-settings",
]);

/** A response to send: status, headers, the body's pieces and the pause before each (ms). */
export interface ReplayedResponse {
  status: number;
  headers: Record<string, string>;
  chunks: Uint8Array[];
  /** one per chunk: the exchange's `delaysMs`, or all 0 when it has none */
  delaysMs: number[];
  /** the exchange's `cut`: the connection drops after the chunks */
  cut?: { stallMs?: number };
}

/**
 * Every exchange's `delaysMs`, where given, has one pause per piece the exchange is sent in;
 * throws a TranscriptError naming the first that does not.
 */
export function checkTiming(t: Transcript, source = "<transcript>"): void {
  t.exchanges.forEach((e, i) => {
    if (e.delaysMs === undefined) return;
    const n = responseChunks(e).length;
    if (e.delaysMs.length !== n) {
      throw new TranscriptError(
        source,
        `exchanges[${i}].delaysMs`,
        `${e.delaysMs.length} pauses for a response sent in ${n} pieces`,
      );
    }
  });
}

/** The response to send for a transcript exchange; streaming bodies are cut into events. */
export function replayResponse(e: TranscriptExchange): ReplayedResponse {
  const bytes = exchangeBody(e);
  const headers: Record<string, string> = {};
  for (const [k, v] of Object.entries(e.headers)) {
    if (!HOP_HEADERS.has(k) && !k.startsWith(":")) headers[k] = v;
  }
  if (!e.streaming) headers["content-length"] = String(bytes.length);
  const chunks = responseChunks(e, bytes);
  return {
    status: e.status,
    headers,
    chunks,
    delaysMs: e.delaysMs ?? chunks.map(() => 0),
    ...(e.cut ? { cut: e.cut } : {}),
  };
}

/**
 * The pieces an exchange's body is sent in: the whole body when not streaming, else one piece
 * per server-sent event (cut after each blank line; none for an empty stream), per NDJSON line
 * (Ollama's native API), or per AWS
 * event-stream message (Bedrock: cut by each message's total length).
 */
export function responseChunks(e: TranscriptExchange, bytes = exchangeBody(e)): Uint8Array[] {
  if (!e.streaming) return [bytes];
  const type = Object.entries(e.headers).find(([k]) => k.toLowerCase() === "content-type")?.[1];
  if (type?.toLowerCase().startsWith("application/vnd.amazon.eventstream")) {
    const frames: Uint8Array[] = [];
    const view = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
    let at = 0;
    while (at + 4 <= bytes.length) {
      const total = view.getUint32(at);
      if (total < 16) break; // not a message: the rest goes as it is
      frames.push(bytes.subarray(at, Math.min(bytes.length, at + total)));
      at += total;
    }
    if (at < bytes.length) frames.push(bytes.subarray(at));
    return frames;
  }
  const chunks: Uint8Array[] = [];
  let start = 0;
  if (/^application\/(x-)?ndjson/i.test(type ?? "")) {
    // Ollama's native API: one piece per line
    for (let i = 0; i < bytes.length; i++) {
      if (bytes[i] === 10) (chunks.push(bytes.subarray(start, i + 1)), start = i + 1);
    }
    if (start < bytes.length) chunks.push(bytes.subarray(start));
    return chunks;
  }
  for (let i = 0; i + 1 < bytes.length; i++) {
    const lf = bytes[i] === 10 && bytes[i + 1] === 10;
    const crlf = i + 3 < bytes.length && bytes[i] === 13 &&
      bytes[i + 1] === 10 &&
      bytes[i + 2] === 13 &&
      bytes[i + 3] === 10;
    if (lf || crlf) {
      const end = i + (lf ? 2 : 4);
      chunks.push(bytes.subarray(start, end));
      start = end;
      i = end - 1;
    }
  }
  if (start < bytes.length) chunks.push(bytes.subarray(start));
  return chunks;
}
