/**
 * A message body as the application saw it: the wire body runs joined and content-decoded
 * (gzip, deflate, br, zstd; an HTTP/1.1 transfer coding before `chunked` is undone too), with a map from each decoded byte back to the stream offset of the
 * wire byte that produced it, and its server-sent events (each with the stream offset of the
 * byte that completed it), so events can be timed by the TLS call that carried them. An AWS
 * event stream (Bedrock's `invoke-with-response-stream`) is read into the same events: each
 * `chunk` message's base64 `bytes` is the provider's event JSON, named by its `type`, and an
 * exception or error message is an `error` event in the Anthropic error shape (as
 * `@anthropic-ai/bedrock-sdk` turns them into SSE). An NDJSON body (`application/x-ndjson`:
 * Ollama's native API streaming) is read into events of type `ndjson`, one per line, its data
 * the line's text.
 */
import {
  createContentDecoder,
  createEventStreamParser,
  createNdjsonParser,
  createSseParser,
  type EventStreamMessage,
  parseContentEncoding,
  type SseEvent,
} from "../protocols/mod.ts";
import type { Message } from "./connection_parser.ts";
import { offsetMap } from "./offset_map.ts";

export interface DecodedBody {
  bytes: Uint8Array;
  /** stream offset of the wire byte behind decoded position `pos` (conservative when encoded) */
  offsetOf(pos: number): number;
  encoding: string | null;
  error?: string;
}

export interface TimedSseEvent {
  type: string;
  data: string;
  /** stream offset of the byte that completed the event */
  offset: number;
  incomplete: boolean;
}

/** The parts joined, in bytes of their own (a part may be a view of a larger buffer). */
function concat(parts: readonly Uint8Array[], total: number): Uint8Array {
  if (parts.length === 1) return parts[0].slice();
  const out = new Uint8Array(total);
  let o = 0;
  for (const p of parts) (out.set(p, o), o += p.length);
  return out;
}

export interface DecodeOptions {
  /** largest decoded body (default 64 MiB) */
  maxOutputSize?: number;
}

/**
 * Joins and content-decodes a message body. Never throws; problems go to `error`, but not the
 * coding's data ending early in a message that is itself incomplete.
 */
export async function decodeBody(m: Message, options: DecodeOptions = {}): Promise<DecodedBody> {
  if (!m.bodyKept) {
    return {
      bytes: new Uint8Array(0),
      offsetOf: () => m.start,
      encoding: null,
      error: `body of ${m.bodyLength} bytes is larger than the bound: not kept`,
    };
  }
  const wire = offsetMap(m.body, { clamp: true });
  // codings in applied order: the content codings, then any transfer coding the sender put
  // before `chunked` (RFC 9112 6.1: "Transfer-Encoding: gzip, chunked"; the HTTP/1 parser has
  // undone the final chunked one: only that one; a `chunked` anywhere else is still on the
  // body and is reported as a coding not undone, never dropped quietly)
  const transfer = parseContentEncoding(m.lookup["transfer-encoding"]);
  if (transfer.at(-1) === "chunked") transfer.pop();
  const codings = [...parseContentEncoding(m.lookup["content-encoding"]), ...transfer];
  const label = transfer.length === 0 ? "content-encoding" : "content and transfer codings";
  if (codings.length === 0) {
    return {
      bytes: concat(m.body.map((p) => p.data), m.bodyLength),
      offsetOf: wire,
      encoding: null,
    };
  }
  const out: Uint8Array[] = [];
  const marks: { outStart: number; inputEnd: number }[] = [];
  let outLen = 0;
  let error: string | undefined;
  // a body cut short (the message is incomplete: that is its own problem) ends inside its
  // coding's data: what it holds is decoded, and that end is not a second problem
  const cut = !m.complete;
  const dec = createContentDecoder(codings, {
    onData(chunk, info) {
      out.push(chunk.slice());
      marks.push({ outStart: info.outputOffset, inputEnd: info.inputEnd });
      outLen += chunk.length;
    },
    onError(e) {
      if (!(cut && e.code === "truncated")) error = e.message;
    },
  }, { maxOutputSize: options.maxOutputSize ?? 64 * 1024 * 1024 });
  for (const p of m.body) dec.feed(p.data);
  await dec.end();
  const bytes = out.length === 1 ? out[0] : concat(out, outLen);
  const offsetOf = (pos: number) => {
    let lo = 0;
    let hi = marks.length - 1;
    if (hi < 0) return wire(0);
    while (lo < hi) {
      const mid = (lo + hi + 1) >> 1;
      if (marks[mid].outStart <= pos) lo = mid;
      else hi = mid - 1;
    }
    return wire(Math.max(0, marks[lo].inputEnd - 1));
  };
  return {
    bytes,
    offsetOf,
    encoding: codings.join(", "),
    ...(error ? { error: `${label} ${codings.join(", ")}: ${error}` } : {}),
  };
}

export interface SseResult {
  events: TimedSseEvent[];
  error?: string;
}

/** The server-sent events of a decoded body. `maxEventSize` bounds one event (default 16 MiB). */
export function sseEvents(body: DecodedBody, maxEventSize = 16 * 1024 * 1024): SseResult {
  const events: TimedSseEvent[] = [];
  let error: string | undefined;
  const p = createSseParser({
    onEvent(e: SseEvent) {
      events.push({
        type: e.type,
        data: e.data,
        offset: body.offsetOf(Math.max(0, e.lastByte)),
        incomplete: e.incomplete,
      });
    },
    onError(e) {
      error = e.message;
    },
  }, { maxBufferSize: maxEventSize });
  p.feed(body.bytes);
  p.end();
  return error ? { events, error } : { events };
}

/** True for an event-stream content type. */
export function isEventStream(lookup: Record<string, string[]>): boolean {
  return (lookup["content-type"]?.[0] ?? "").toLowerCase().startsWith("text/event-stream");
}

/** True for newline-delimited JSON (Ollama's native API streams it). */
export function isNdjson(lookup: Record<string, string[]>): boolean {
  const t = (lookup["content-type"]?.[0] ?? "").toLowerCase();
  return t.startsWith("application/x-ndjson") || t.startsWith("application/ndjson") ||
    t.startsWith("application/jsonl");
}

/**
 * The lines of a decoded NDJSON body as events of type `ndjson` (data: the line's text; a last
 * line without its LF `incomplete`); `maxLineSize` bounds one line (default 16 MiB): a longer
 * one is dropped with an error.
 */
export function ndjsonEvents(body: DecodedBody, maxLineSize = 16 * 1024 * 1024): SseResult {
  const events: TimedSseEvent[] = [];
  const errors: string[] = [];
  const p = createNdjsonParser({
    onValue(v) {
      events.push({
        type: "ndjson",
        data: v.text,
        offset: body.offsetOf(Math.max(0, v.lastByte)),
        incomplete: v.incomplete,
      });
    },
    onError(e) {
      errors.push(e.message);
    },
  }, { maxBufferSize: maxLineSize });
  p.feed(body.bytes);
  p.end();
  return errors.length ? { events, error: errors.join("; ") } : { events };
}

/** True for an AWS event stream (Bedrock's response stream). */
export function isAwsEventStream(lookup: Record<string, string[]>): boolean {
  return (lookup["content-type"]?.[0] ?? "").toLowerCase().startsWith(
    "application/vnd.amazon.eventstream",
  );
}

const utf8 = new TextDecoder();

/** One AWS event-stream message as the event it carries, or an error message. */
function awsEvent(m: EventStreamMessage): { type: string; data: string } | string {
  const h = (name: string) => typeof m.headers[name] === "string" ? m.headers[name] : undefined;
  const kind = h(":message-type") ?? "event";
  const payload = utf8.decode(m.payload);
  if (kind === "exception" || kind === "error") {
    let message = h(":error-message") ?? payload;
    try {
      const j = JSON.parse(payload);
      if (typeof j?.message === "string") message = j.message;
    } catch { /* the payload as it is */ }
    const type = h(":exception-type") ?? h(":error-code") ?? kind;
    return { type: "error", data: JSON.stringify({ type: "error", error: { type, message } }) };
  }
  const eventType = h(":event-type") ?? "";
  if (eventType !== "chunk") return { type: eventType, data: payload };
  let bytes: unknown;
  try {
    bytes = JSON.parse(payload)?.bytes;
  } catch {
    return `event-stream message ${m.index}: chunk payload is not JSON`;
  }
  if (typeof bytes !== "string") return `event-stream message ${m.index}: chunk without bytes`;
  let data: string;
  try {
    data = utf8.decode(Uint8Array.from(atob(bytes), (c) => c.charCodeAt(0)));
  } catch {
    return `event-stream message ${m.index}: chunk bytes are not base64`;
  }
  let type = "chunk";
  try {
    const t = JSON.parse(data)?.type;
    if (typeof t === "string") type = t;
  } catch { /* read_call reports data that is not JSON */ }
  return { type, data };
}

/**
 * The events of a decoded AWS event-stream body (`maxEventSize` bounds one message, default
 * 16 MiB): the first error (a bad CRC, a message cut short) ends them.
 */
export function awsEvents(body: DecodedBody, maxEventSize = 16 * 1024 * 1024): SseResult {
  const events: TimedSseEvent[] = [];
  const errors: string[] = [];
  const p = createEventStreamParser({
    onMessage(m) {
      const e = awsEvent(m);
      if (typeof e === "string") errors.push(e);
      else {
        events.push({ ...e, offset: body.offsetOf(m.lastByte), incomplete: false });
      }
    },
    onError(e) {
      errors.push(e.message);
    },
  }, { maxBufferSize: maxEventSize });
  p.feed(body.bytes);
  p.end();
  return errors.length ? { events, error: errors.join("; ") } : { events };
}
