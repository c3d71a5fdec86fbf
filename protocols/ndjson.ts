/**
 * Newline-delimited JSON (NDJSON, `application/x-ndjson`) parser for a body delivered in
 * arbitrary chunks: one JSON text per line, as Ollama's native API streams its answers
 * (`/api/chat`, `/api/generate`: an object per line, the last with `done: true`).
 *
 * Lines end at LF; a CR before it is dropped, so CRLF works too (a CRLF split across chunks
 * included). Blank lines (only whitespace) are skipped. Each other line is handed to `onValue`
 * as its text (UTF-8, invalid sequences become U+FFFD) with the JSON it parses to, or with
 * `error` saying why it does not parse — the caller decides what a line that is not JSON means.
 * `end()` still emits a last line that has no line ending, flagged `incomplete`, because for
 * analysis a line cut short is data.
 *
 * Offsets: `firstByte` is the stream offset of the line's first byte, `lastByte` that of the
 * byte that completed it (its LF), or the last byte of the stream for an incomplete line.
 * Offsets start at `startOffset` (default 0).
 *
 * Errors (`onError`, never thrown): a line longer than `maxBufferSize` bytes. The line is
 * dropped (its bytes skipped up to the next LF) and parsing goes on with the next one.
 */

import { ByteAccumulator } from "./byte_accumulator.ts";
import { ProtocolError } from "./protocol_error.ts";

export interface NdjsonValue {
  /** 0-based count of lines emitted by this parser. */
  index: number;
  /** The line's text, without its line ending. */
  text: string;
  /** The parsed JSON (undefined when the line is not JSON: see `error`). */
  value: unknown;
  /** Why the line is not JSON, if it is not. */
  error?: string;
  firstByte: number;
  lastByte: number;
  /** The stream ended before the line's LF. */
  incomplete: boolean;
}

export interface NdjsonCallbacks {
  onValue(value: NdjsonValue): void;
  onError?(error: ProtocolError): void;
}

export interface NdjsonOptions {
  /** Bound on one line, in bytes. Default 16 MiB. */
  maxBufferSize?: number;
  /** Stream offset of the first byte fed. Default 0. */
  startOffset?: number;
}

export interface NdjsonParser {
  feed(bytes: Uint8Array): void;
  end(): void;
  /** Largest internal line-buffer capacity so far (for memory-bound checks). */
  readonly peakBufferCapacity: number;
}

const LF = 0x0a;
const CR = 0x0d;

/** Creates an NDJSON push parser. */
export function createNdjsonParser(
  callbacks: NdjsonCallbacks,
  options: NdjsonOptions = {},
): NdjsonParser {
  const limit = options.maxBufferSize ?? 16 * 1024 * 1024;
  const line = new ByteAccumulator(limit);
  const decoder = new TextDecoder("utf-8", { fatal: false, ignoreBOM: false });
  let offset = options.startOffset ?? 0;
  let lineStart = offset;
  /** skipping the rest of a line that passed the bound */
  let skipping = false;
  let index = 0;
  let ended = false;

  const emit = (lastByte: number, incomplete: boolean) => {
    let bytes = line.view();
    if (bytes.length > 0 && bytes[bytes.length - 1] === CR && !incomplete) {
      bytes = bytes.subarray(0, bytes.length - 1);
    }
    const text = decoder.decode(bytes);
    line.clear();
    if (text.trim() === "") return;
    let value: unknown;
    let error: string | undefined;
    try {
      value = JSON.parse(text);
    } catch (e) {
      error = (e as Error).message.split("\n")[0];
    }
    callbacks.onValue({
      index: index++,
      text,
      value,
      ...(error !== undefined ? { error } : {}),
      firstByte: lineStart,
      lastByte,
      incomplete,
    });
  };

  return {
    feed(bytes: Uint8Array) {
      if (ended) return;
      let start = 0;
      while (start < bytes.length) {
        const nl = bytes.indexOf(LF, start);
        const end = nl < 0 ? bytes.length : nl;
        if (!skipping && !line.append(bytes, start, end)) {
          callbacks.onError?.(
            new ProtocolError(
              "buffer-limit",
              `NDJSON line longer than ${limit} bytes: dropped`,
              lineStart,
            ),
          );
          line.clear();
          skipping = true;
        }
        if (nl < 0) {
          offset += bytes.length - start;
          break;
        }
        const lastByte = offset + (nl - start);
        if (skipping) {
          skipping = false;
          line.clear();
        } else emit(lastByte, false);
        offset = lastByte + 1;
        lineStart = offset;
        start = nl + 1;
      }
    },
    end() {
      if (ended) return;
      ended = true;
      if (!skipping && line.length > 0) emit(offset - 1, true);
    },
    get peakBufferCapacity() {
      return line.peakCapacity;
    },
  };
}
