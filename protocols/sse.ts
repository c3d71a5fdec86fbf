/**
 * Server-Sent Events parser (WHATWG HTML "event stream interpretation") for a response body
 * delivered in arbitrary chunks.
 *
 * Handles UTF-8 (invalid sequences become U+FFFD), an optional leading BOM, LF / CR / CRLF line
 * endings (including a CRLF split across chunks), comments, the `event`, `data` (lines joined
 * with "\n"), `id` (ignored if it contains NUL) and `retry` (digits only) fields, and dispatch on
 * a blank line; a block without data dispatches nothing, as the spec says. Unlike a browser,
 * `end()` still emits an event that was cut short (flagged `incomplete`), including a final line
 * without its line ending, because for analysis a truncated event is data.
 *
 * Offsets: `firstByte` is the stream offset of the first byte of the event's first line,
 * `lastByte` the offset of the byte that completed it (the line-ending byte of the blank line;
 * for CRLF that is the CR, since the event is known complete at that point) or the last byte
 * of the stream for an incomplete event. Offsets start at `startOffset` (default 0), so a caller
 * feeding a body can pass the body's offset in its connection.
 *
 * Errors (`onError`, never thrown): a line, or one event's accumulated fields, longer than
 * `maxBufferSize` bytes. The parser then stops: later input is ignored.
 */

import { ByteAccumulator } from "./byte_accumulator.ts";
import { ProtocolError } from "./protocol_error.ts";

export interface SseEvent {
  /** 0-based count of events emitted by this parser. */
  index: number;
  /** The event type; "message" when no `event` field was given. */
  type: string;
  data: string;
  /** The last event ID buffer at dispatch (persists across events, as in the spec). */
  lastEventId: string;
  /** A valid `retry` value seen in this event's block, if any. */
  retry?: number;
  firstByte: number;
  lastByte: number;
  incomplete: boolean;
}

export interface SseComment {
  text: string;
  /** Stream offset of the ':' that starts the comment line. */
  offset: number;
}

export interface SseCallbacks {
  onEvent(event: SseEvent): void;
  onComment?(comment: SseComment): void;
  onError?(error: ProtocolError): void;
}

export interface SseOptions {
  /** Bound on one line and on one event's accumulated fields, in bytes. Default 16 MiB. */
  maxBufferSize?: number;
  /** Stream offset of the first byte fed. Default 0. */
  startOffset?: number;
}

export interface SseParser {
  feed(bytes: Uint8Array): void;
  end(): void;
  /** Largest internal line-buffer capacity so far (for memory-bound checks). */
  readonly peakBufferCapacity: number;
}

const LF = 0x0a;
const CR = 0x0d;

/** Parser state that crosses chunk boundaries, all in one place. */
interface SseState {
  /** Offset of the next byte to be fed. */
  offset: number;
  /** Whether the stream start (and so a possible BOM) is still in the first line. */
  firstLine: boolean;
  /** The previous byte was a CR, so a following LF belongs to the same line ending. */
  skipLF: boolean;
  /** Bytes of the line in progress (without its line ending). */
  line: ByteAccumulator;
  /** Stream offset of the first byte of the line in progress. */
  lineStart: number;
  // The event block in progress:
  blockStart: number; // -1 when no line of the block has been seen
  blockHasField: boolean;
  blockBytes: number;
  eventType: string;
  data: string[]; // one entry per data line; joined with "\n" on dispatch
  retry: number | undefined;
  lastEventId: string;
  emitted: number;
  stopped: boolean;
}

export function createSseParser(callbacks: SseCallbacks, options: SseOptions = {}): SseParser {
  const maxBufferSize = options.maxBufferSize ?? 16 * 1024 * 1024;
  const decoder = new TextDecoder("utf-8", { ignoreBOM: true });
  const start = options.startOffset ?? 0;
  const s: SseState = {
    offset: start,
    firstLine: true,
    skipLF: false,
    line: new ByteAccumulator(maxBufferSize),
    lineStart: start,
    blockStart: -1,
    blockHasField: false,
    blockBytes: 0,
    eventType: "",
    data: [],
    retry: undefined,
    lastEventId: "",
    emitted: 0,
    stopped: false,
  };

  function fail(message: string, offset: number): void {
    s.stopped = true;
    s.line.clear();
    s.data = [];
    callbacks.onError?.(new ProtocolError("buffer-limit", message, offset));
  }

  function resetBlock(): void {
    s.blockStart = -1;
    s.blockHasField = false;
    s.blockBytes = 0;
    s.eventType = "";
    s.data = [];
    s.retry = undefined;
  }

  function dispatch(lastByte: number, incomplete: boolean): void {
    if (s.data.length > 0 || (incomplete && s.blockHasField)) {
      const event: SseEvent = {
        index: s.emitted++,
        type: s.eventType === "" ? "message" : s.eventType,
        data: s.data.join("\n"),
        lastEventId: s.lastEventId,
        firstByte: s.blockStart,
        lastByte,
        incomplete,
      };
      if (s.retry !== undefined) event.retry = s.retry;
      resetBlock();
      callbacks.onEvent(event);
    } else {
      resetBlock();
    }
  }

  /**
   * Processes one complete line (`line`: its bytes, without the line ending); `eolOffset` is the
   * offset of its line-ending byte.
   */
  function processLine(line: Uint8Array, eolOffset: number): void {
    let bytes = line;
    let lineStart = s.lineStart;
    if (s.firstLine) {
      s.firstLine = false;
      if (bytes.length >= 3 && bytes[0] === 0xef && bytes[1] === 0xbb && bytes[2] === 0xbf) {
        bytes = bytes.subarray(3);
        lineStart += 3;
      }
    }
    if (bytes.length === 0) {
      dispatch(eolOffset, false);
      return;
    }
    if (s.blockStart < 0) s.blockStart = lineStart;
    s.blockBytes += bytes.length;
    if (s.blockBytes > maxBufferSize) {
      fail(`SSE event exceeds maxBufferSize (${maxBufferSize} bytes)`, lineStart);
      return;
    }
    const text = decoder.decode(bytes);
    if (text.charCodeAt(0) === 0x3a) {
      callbacks.onComment?.({ text: text.slice(1), offset: lineStart });
      return;
    }
    const colon = text.indexOf(":");
    let field: string;
    let value: string;
    if (colon < 0) {
      field = text;
      value = "";
    } else {
      field = text.slice(0, colon);
      value = text.slice(text.charCodeAt(colon + 1) === 0x20 ? colon + 2 : colon + 1);
    }
    switch (field) {
      case "event":
        s.blockHasField = true;
        s.eventType = value;
        break;
      case "data":
        s.blockHasField = true;
        s.data.push(value);
        break;
      case "id":
        s.blockHasField = true;
        if (!value.includes("\0")) s.lastEventId = value;
        break;
      case "retry":
        s.blockHasField = true;
        if (/^[0-9]+$/.test(value)) s.retry = Number(value);
        break;
      default:
        break; // unknown fields are ignored
    }
  }

  function feed(bytes: Uint8Array): void {
    if (s.stopped) return;
    let i = 0;
    const n = bytes.length;
    // where the next LF and CR are at or after i (n: none), found by native scans, each byte
    // scanned once per chunk
    let lf = -1;
    let cr = -1;
    while (i < n) {
      if (s.skipLF) {
        s.skipLF = false;
        if (bytes[i] === LF) {
          i++;
          s.offset++;
          s.lineStart = s.offset;
          continue;
        }
      }
      if (lf < i) lf = bytes.indexOf(LF, i), lf = lf < 0 ? n : lf;
      if (cr < i) cr = bytes.indexOf(CR, i), cr = cr < 0 ? n : cr;
      const j = lf < cr ? lf : cr;
      let line: Uint8Array;
      if (j < n && s.line.length === 0) {
        // the whole line is in this chunk: read it in place
        if (j - i > maxBufferSize) {
          fail(`SSE line exceeds maxBufferSize (${maxBufferSize} bytes)`, s.lineStart);
          return;
        }
        line = bytes.subarray(i, j);
      } else {
        if (!s.line.append(bytes, i, j)) {
          fail(`SSE line exceeds maxBufferSize (${maxBufferSize} bytes)`, s.lineStart);
          return;
        }
        line = s.line.view();
      }
      s.offset += j - i;
      if (j === n) return;
      const eol = s.offset;
      if (bytes[j] === CR) s.skipLF = true;
      processLine(line, eol);
      if (s.stopped) return;
      s.line.clear();
      s.offset++;
      s.lineStart = s.offset;
      i = j + 1;
    }
  }

  function end(): void {
    if (s.stopped) return;
    s.stopped = true;
    const last = s.offset - 1;
    if (s.line.length > 0) processLine(s.line.view(), last);
    if (s.data.length > 0 || s.blockHasField) dispatch(last, true);
  }

  return {
    feed,
    end,
    get peakBufferCapacity() {
      return s.line.peakCapacity;
    },
  };
}
