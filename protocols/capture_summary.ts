/**
 * Runs the protocol parsers over one recorded connection (both directions) and reduces the
 * result to a JSON-friendly summary: per exchange / stream the request and response heads,
 * bodies (content-decoded, abbreviated), SSE events with the connection offset of the byte that
 * completed each one, end reasons and errors. Used for the golden tests of
 * `testdata/captures/*`; also a reference for wiring the parsers together.
 */

import { createHttp1Exchange, type Http1Head } from "./http1.ts";
import { createHttp2Connection, type Http2HeadersEvent } from "./http2.ts";
import { decodeContent } from "./content_encoding.ts";
import { createSseParser, type SseEvent } from "./sse.ts";
import type { HeaderLookup, HeaderPair } from "./header_fields.ts";

export interface CaptureInput {
  protocol: "http1" | "http2";
  client: Uint8Array;
  server: Uint8Array;
}

/** Body bytes with, for each run, the connection offset it came from. */
class BodyCollector {
  parts: Uint8Array[] = [];
  runs: { bodyPos: number; offset: number; length: number }[] = [];
  length = 0;
  add(data: Uint8Array, offset: number) {
    this.parts.push(data.slice());
    this.runs.push({ bodyPos: this.length, offset, length: data.length });
    this.length += data.length;
  }
  bytes(): Uint8Array {
    const out = new Uint8Array(this.length);
    let o = 0;
    for (const p of this.parts) (out.set(p, o), o += p.length);
    return out;
  }
  /** Connection offset of body position `pos`. */
  offsetOf(pos: number): number | null {
    const r = this.runs.find((x) => pos >= x.bodyPos && pos < x.bodyPos + x.length);
    return r ? r.offset + (pos - r.bodyPos) : null;
  }
}

const ABBREVIATE = 300;

async function summarizeBody(lookup: HeaderLookup, body: BodyCollector) {
  const encoding = lookup["content-encoding"] ?? [];
  const type = (lookup["content-type"] ?? [""])[0];
  let decoded = body.bytes();
  let decodeError: string | undefined;
  if (encoding.length > 0) {
    try {
      decoded = await decodeContent(encoding, decoded);
    } catch (err) {
      decodeError = String(err);
    }
  }
  const summary: Record<string, unknown> = {
    wireLength: body.length,
    contentEncoding: encoding.join(", ") || undefined,
    decodedLength: decoded.length,
    decodeError,
  };
  if (type.startsWith("text/event-stream")) {
    const events: SseEvent[] = [];
    const p = createSseParser({ onEvent: (e) => events.push(e) });
    p.feed(decoded);
    p.end();
    summary.sse = events.map((e) => ({
      type: e.type,
      data: e.data,
      incomplete: e.incomplete,
      // Where the event became complete in the connection (exact when not content-encoded).
      completedAtOffset: encoding.length === 0 ? body.offsetOf(e.lastByte) : undefined,
    }));
  } else {
    const text = new TextDecoder().decode(decoded);
    summary.text = text.length > ABBREVIATE ? text.slice(0, ABBREVIATE) + "…" : text;
  }
  return summary;
}

const abbreviate = (headers: HeaderPair[]) =>
  headers.map(([n, v]) => [n, v.length > 120 ? `${v.slice(0, 40)}…(${v.length} chars)` : v]);

async function summarizeHttp1(input: CaptureInput) {
  interface Msg {
    head: Http1Head;
    body: BodyCollector;
    incomplete?: boolean;
  }
  const requests: Msg[] = [];
  const responses: Msg[] = [];
  const errors: string[] = [];
  const side = (list: Msg[]) => ({
    onHead: (head: Http1Head) => list.push({ head, body: new BodyCollector() }),
    onBody: (c: { data: Uint8Array; offset: number }) =>
      list[list.length - 1].body.add(c.data, c.offset),
    onMessageEnd: (e: { incomplete: boolean }) => (list[list.length - 1].incomplete = e.incomplete),
    onError: (e: Error) => errors.push(e.message),
  });
  const ex = createHttp1Exchange({ request: side(requests), response: side(responses) });
  ex.request.feed(input.client);
  ex.response.feed(input.server);
  ex.request.end();
  ex.response.end();
  const one = async (m: Msg) => ({
    startLine: m.head.kind === "request"
      ? `${m.head.method} ${m.head.target} ${m.head.version}`
      : `${m.head.version} ${m.head.status} ${m.head.reason}`,
    startOffset: m.head.startOffset,
    headers: abbreviate(m.head.headers),
    framing: m.head.body,
    incomplete: m.incomplete,
    body: m.body.length > 0 ? await summarizeBody(m.head.lookup, m.body) : undefined,
  });
  return {
    protocol: "http1",
    requests: await Promise.all(requests.map(one)),
    responses: await Promise.all(responses.map(async (m) => ({
      answers: m.head.requestIndex,
      ...(await one(m)),
    }))),
    errors,
  };
}

async function summarizeHttp2(input: CaptureInput) {
  interface Side {
    headers: Http2HeadersEvent[];
    body: BodyCollector;
    end?: string;
  }
  const streams = new Map<number, { client: Side; server: Side }>();
  const get = (id: number) => {
    let s = streams.get(id);
    if (!s) {
      const side = (): Side => ({ headers: [], body: new BodyCollector() });
      s = { client: side(), server: side() };
      streams.set(id, s);
    }
    return s;
  };
  const errors: string[] = [];
  const frames = { client: 0, server: 0 };
  const conn = createHttp2Connection({
    onHeaders: (h) => get(h.streamId)[h.direction].headers.push(h),
    onData: (d) => get(d.streamId)[d.direction].body.add(d.data, d.offset),
    onStreamEnd: (
      e,
    ) => (get(e.streamId)[e.direction].end = e.reason + (e.errorName ? ` ${e.errorName}` : "")),
    onFrame: (f) => frames[f.direction]++,
    onError: (e) => errors.push(e.message),
  });
  conn.client.feed(input.client);
  conn.server.feed(input.server);
  conn.client.end();
  conn.server.end();
  const side = async (s: Side) => {
    const main = s.headers.find((h) => h.kind === "request" || h.kind === "response");
    return {
      headerBlocks: s.headers.map((h) => ({
        kind: h.kind,
        offset: h.offset,
        frames: h.frames,
        headers: abbreviate(h.headers),
      })),
      body: s.body.length > 0 && main ? await summarizeBody(main.lookup, s.body) : undefined,
      end: s.end,
    };
  };
  const out: Record<string, unknown> = {};
  for (const id of [...streams.keys()].sort((a, b) => a - b)) {
    const s = streams.get(id)!;
    out[id] = { client: await side(s.client), server: await side(s.server) };
  }
  return { protocol: "http2", frames, streams: out, errors };
}

export function summarizeCapture(input: CaptureInput): Promise<unknown> {
  return input.protocol === "http1" ? summarizeHttp1(input) : summarizeHttp2(input);
}
