/**
 * AWS event-stream parser (`application/vnd.amazon.eventstream`, the binary framing of Amazon
 * Bedrock's `invoke-with-response-stream` and other AWS streaming APIs) for a body delivered in
 * arbitrary chunks.
 *
 * A message: a 12-byte prelude (total length, headers length, both uint32 big-endian, and the
 * CRC-32 of those 8 bytes), the headers, the payload, and the CRC-32 of everything before it.
 * A header: name length (uint8), name (UTF-8), value type (uint8) and value: 0 true, 1 false,
 * 2 int8, 3 int16, 4 int32, 5 int64, 6 bytes (uint16 length), 7 string (uint16 length, UTF-8),
 * 8 timestamp (int64 ms since the epoch), 9 UUID (16 bytes). Integers are big-endian. (As
 * encoded by AWS's own codec, `@smithy/eventstream-codec`.)
 *
 * Offsets: `firstByte` is the stream offset of a message's first prelude byte, `lastByte` of its
 * last CRC byte. Offsets start at `startOffset` (default 0).
 *
 * Errors (`onError`, never thrown), after which the parser stops and ignores later input: a bad
 * prelude or message CRC ("checksum"), a length that cannot hold a message or headers that do not
 * fit their length ("framing" / "syntax"), a message longer than `maxBufferSize` ("buffer-limit"),
 * and at `end()` a message cut short ("truncated").
 */

import { ByteAccumulator } from "./byte_accumulator.ts";
import { crc32 } from "./crc32.ts";
import { ProtocolError } from "./protocol_error.ts";

/** A header value: booleans, int8/16/32 as numbers, int64 as bigint, timestamps as Date. */
export type EventStreamHeaderValue = boolean | number | bigint | string | Uint8Array | Date;

export interface EventStreamMessage {
  /** 0-based count of messages emitted by this parser. */
  index: number;
  /** the headers by name (a repeated name keeps its last value) */
  headers: Record<string, EventStreamHeaderValue>;
  payload: Uint8Array;
  firstByte: number;
  lastByte: number;
}

export interface EventStreamCallbacks {
  onMessage(message: EventStreamMessage): void;
  onError?(error: ProtocolError): void;
}

export interface EventStreamOptions {
  /** Bound on one whole message, in bytes. Default 16 MiB. */
  maxBufferSize?: number;
  /** Stream offset of the first byte fed. Default 0. */
  startOffset?: number;
}

export interface EventStreamParser {
  feed(bytes: Uint8Array): void;
  end(): void;
  /** Largest internal buffer capacity so far (for memory-bound checks). */
  readonly peakBufferCapacity: number;
}

const PRELUDE = 12;
/** prelude and message CRC with no headers and no payload */
const MINIMUM = 16;

/** Parser state that crosses chunk boundaries, all in one place. */
interface EventStreamState {
  /** Offset of the next byte to be fed. */
  offset: number;
  /** Bytes of the message in progress (its prelude first). */
  message: ByteAccumulator;
  /** Stream offset of the first byte of the message in progress. */
  messageStart: number;
  /** Its total length, once its prelude is read and checked; 0 before. */
  total: number;
  /** Its headers length, once its prelude is read. */
  headersLength: number;
  emitted: number;
  stopped: boolean;
}

const utf8 = new TextDecoder("utf-8");

/** The headers of a message, or an error message when they do not parse. */
function parseHeaders(b: Uint8Array): Record<string, EventStreamHeaderValue> | string {
  const view = new DataView(b.buffer, b.byteOffset, b.byteLength);
  const out: Record<string, EventStreamHeaderValue> = {};
  let p = 0;
  const need = (n: number, what: string) => {
    if (p + n > b.length) throw `header ${what} runs past the headers (${b.length} bytes)`;
  };
  try {
    while (p < b.length) {
      const nameLength = b[p++];
      if (nameLength === 0) throw "header with an empty name";
      need(nameLength + 1, "name");
      const name = utf8.decode(b.subarray(p, p + nameLength));
      p += nameLength;
      const type = b[p++];
      let value: EventStreamHeaderValue;
      switch (type) {
        case 0:
        case 1:
          value = type === 0;
          break;
        case 2:
          need(1, name), value = view.getInt8(p), p += 1;
          break;
        case 3:
          need(2, name), value = view.getInt16(p), p += 2;
          break;
        case 4:
          need(4, name), value = view.getInt32(p), p += 4;
          break;
        case 5:
          need(8, name), value = view.getBigInt64(p), p += 8;
          break;
        case 8:
          need(8, name), value = new Date(Number(view.getBigInt64(p))), p += 8;
          break;
        case 6:
        case 7: {
          need(2, name);
          const n = view.getUint16(p);
          p += 2;
          need(n, name);
          value = type === 6 ? b.slice(p, p + n) : utf8.decode(b.subarray(p, p + n));
          p += n;
          break;
        }
        case 9: {
          need(16, name);
          const h = Array.from(b.subarray(p, p + 16), (x) => x.toString(16).padStart(2, "0"))
            .join("");
          value = `${h.slice(0, 8)}-${h.slice(8, 12)}-${h.slice(12, 16)}-${h.slice(16, 20)}-${
            h.slice(20)
          }`;
          p += 16;
          break;
        }
        default:
          throw `header ${JSON.stringify(name)} has unknown value type ${type}`;
      }
      out[name] = value;
    }
  } catch (e) {
    if (typeof e === "string") return e;
    throw e;
  }
  return out;
}

export function createEventStreamParser(
  callbacks: EventStreamCallbacks,
  options: EventStreamOptions = {},
): EventStreamParser {
  const maxBufferSize = options.maxBufferSize ?? 16 * 1024 * 1024;
  const start = options.startOffset ?? 0;
  const s: EventStreamState = {
    offset: start,
    message: new ByteAccumulator(Math.max(maxBufferSize, PRELUDE)),
    messageStart: start,
    total: 0,
    headersLength: 0,
    emitted: 0,
    stopped: false,
  };

  function fail(code: ProtocolError["code"], message: string, offset: number): void {
    s.stopped = true;
    s.message.clear();
    callbacks.onError?.(new ProtocolError(code, message, offset));
  }

  /** Checks the prelude in the buffer; false when the parser stopped. */
  function readPrelude(): boolean {
    const b = s.message.view();
    const view = new DataView(b.buffer, b.byteOffset, PRELUDE);
    const total = view.getUint32(0);
    const headersLength = view.getUint32(4);
    const want = view.getUint32(8);
    const got = crc32(b, 0, 0, 8);
    const at = s.messageStart;
    if (got !== want) {
      fail(
        "checksum",
        `event-stream message ${s.emitted}: prelude CRC is 0x${hex8(want)}, its bytes give 0x${
          hex8(got)
        }`,
        at,
      );
      return false;
    }
    if (total < MINIMUM || headersLength > total - MINIMUM) {
      fail(
        "framing",
        `event-stream message ${s.emitted}: total length ${total} cannot hold a prelude, ` +
          `${headersLength} header bytes and a CRC`,
        at,
      );
      return false;
    }
    if (total > maxBufferSize) {
      fail(
        "buffer-limit",
        `event-stream message ${s.emitted} of ${total} bytes is larger than the bound of ${maxBufferSize}`,
        at,
      );
      return false;
    }
    s.total = total;
    s.headersLength = headersLength;
    return true;
  }

  /** Emits the complete message in the buffer; false when the parser stopped. */
  function emit(): boolean {
    const b = s.message.view();
    const at = s.messageStart;
    const end = s.total - 4;
    const want = new DataView(b.buffer, b.byteOffset + end, 4).getUint32(0);
    const got = crc32(b, 0, 0, end);
    if (got !== want) {
      fail(
        "checksum",
        `event-stream message ${s.emitted}: message CRC is 0x${hex8(want)}, its bytes give 0x${
          hex8(got)
        }`,
        at,
      );
      return false;
    }
    const headers = parseHeaders(b.subarray(PRELUDE, PRELUDE + s.headersLength));
    if (typeof headers === "string") {
      fail("syntax", `event-stream message ${s.emitted}: ${headers}`, at);
      return false;
    }
    const message: EventStreamMessage = {
      index: s.emitted++,
      headers,
      payload: b.slice(PRELUDE + s.headersLength, end),
      firstByte: at,
      lastByte: at + s.total - 1,
    };
    s.message.clear();
    s.messageStart = at + s.total;
    s.total = 0;
    s.headersLength = 0;
    callbacks.onMessage(message);
    return true;
  }

  return {
    feed(bytes: Uint8Array): void {
      let i = 0;
      while (i < bytes.length && !s.stopped) {
        const want = s.total === 0 ? PRELUDE : s.total;
        const n = Math.min(want - s.message.length, bytes.length - i);
        s.message.append(bytes, i, i + n); // within the bound: checked against the prelude
        i += n;
        s.offset += n;
        if (s.message.length < want) break;
        if (s.total === 0) {
          if (!readPrelude()) return;
          continue; // (a message is at least 16 bytes: never complete at its prelude)
        }
        if (!emit()) return;
      }
      if (s.stopped) s.offset += bytes.length - i;
    },
    end(): void {
      if (s.stopped || s.message.length === 0) return;
      const have = s.message.length;
      fail(
        "truncated",
        `event-stream message ${s.emitted} cut short: ${have} of ${
          s.total === 0 ? "at least 16" : s.total
        } bytes`,
        s.messageStart,
      );
    },
    get peakBufferCapacity() {
      return s.message.peakCapacity;
    },
  };
}

const hex8 = (n: number) => n.toString(16).padStart(8, "0");

const utf8Encoder = new TextEncoder();

/**
 * Encodes one message with string headers (type 7), as AWS's codec does: for the scripted
 * model server and tests.
 */
export function encodeEventStreamMessage(
  headers: Record<string, string>,
  payload: Uint8Array,
): Uint8Array {
  const parts: Uint8Array[] = [];
  for (const [name, value] of Object.entries(headers)) {
    const n = utf8Encoder.encode(name);
    const v = utf8Encoder.encode(value);
    if (n.length === 0 || n.length > 255) throw new RangeError(`header name ${name}: 1..255 bytes`);
    if (v.length > 65535) throw new RangeError(`header ${name}: value over 65535 bytes`);
    const h = new Uint8Array(1 + n.length + 3 + v.length);
    h[0] = n.length;
    h.set(n, 1);
    h[1 + n.length] = 7;
    new DataView(h.buffer).setUint16(2 + n.length, v.length);
    h.set(v, 4 + n.length);
    parts.push(h);
  }
  const headersLength = parts.reduce((k, p) => k + p.length, 0);
  const total = PRELUDE + headersLength + payload.length + 4;
  const out = new Uint8Array(total);
  const view = new DataView(out.buffer);
  view.setUint32(0, total);
  view.setUint32(4, headersLength);
  view.setUint32(8, crc32(out, 0, 0, 8));
  let o = PRELUDE;
  for (const p of parts) (out.set(p, o), o += p.length);
  out.set(payload, o);
  view.setUint32(total - 4, crc32(out, 0, 0, total - 4));
  return out;
}
