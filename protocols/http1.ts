/**
 * HTTP/1.1 message parsing (RFC 9112) for one direction of one connection: a request stream
 * (client -> server) or a response stream (server -> client), with keep-alive (any number of
 * messages per stream), Content-Length bodies, chunked transfer coding with trailers, and
 * read-until-close response bodies.
 *
 * Events are emitted as soon as the bytes that determine them have arrived: `onHead` when the
 * blank line ending the head arrives, `onBody` for each run of body bytes in the chunk just fed
 * (de-chunked, each with its stream offset), `onMessageEnd` when the body is complete, and at
 * `end()` a message cut short is completed with `incomplete: true`.
 *
 * Response framing depends on the request method (HEAD, CONNECT) and status (1xx, 204, 304).
 * The response parser therefore keeps a queue of request methods, filled by
 * `expectResponseTo(method)` (or automatically by `createHttp1Exchange`). If a response head
 * completes before its request method is known, the parser waits, buffering at most
 * `maxBufferSize` bytes, and resumes when the method arrives; the result does not depend on the
 * order in which the two directions are fed. At `end()` a response still waiting is framed as
 * if answering an unknown non-HEAD method (`requestMethod: undefined`).
 *
 * After a 101 response, a 2xx answer to CONNECT, or a request that asks for an upgrade
 * (`Connection: upgrade` + `Upgrade`) or uses CONNECT, the rest of the stream is not HTTP/1
 * and is passed to `onTunnelData`. (For a request whose upgrade the server declines, later
 * requests on that connection are then missed; agents use upgrades only for WebSockets.)
 *
 * Errors (`onError`, never thrown) stop the parser: malformed start line, header line, chunk
 * size or Content-Length, conflicting framing, or a head / chunk line / waiting buffer above
 * `maxBufferSize`. Header names and values keep their raw bytes (latin1).
 */

import { ByteAccumulator } from "./byte_accumulator.ts";
import { buildHeaderLookup, type HeaderLookup, type HeaderPair } from "./header_fields.ts";
import { latin1Decode } from "./latin1.ts";
import { ProtocolError } from "./protocol_error.ts";

export type Http1BodyKind = "none" | "length" | "chunked" | "until-close";

export interface Http1Head {
  kind: "request" | "response";
  /** 0-based index of this message in its stream (interim 1xx responses count). */
  index: number;
  method?: string;
  target?: string;
  status?: number;
  reason?: string;
  /** e.g. "HTTP/1.1" */
  version: string;
  headers: HeaderPair[];
  lookup: HeaderLookup;
  /** Stream offset of the first byte of the start line. */
  startOffset: number;
  /** Stream offset just past the head's blank line (where body framing starts). */
  bodyOffset: number;
  body: Http1BodyKind;
  contentLength?: number;
  /** Transfer codings, lowercase, in order (e.g. ["gzip", "chunked"]). */
  transferCodings: string[];
  /** Responses: 0-based index of the request this answers. */
  requestIndex?: number;
  /** Responses: the method of the request this answers; undefined if it was never supplied. */
  requestMethod?: string;
  /** Responses: a 1xx interim response (another response to the same request follows). */
  informational?: boolean;
  /** The stream switches to a tunnel after this message. */
  upgrade?: boolean;
}

export interface Http1BodyChunk {
  messageIndex: number;
  /** The body bytes (after de-chunking); a view into the fed chunk, copy it to keep it. */
  data: Uint8Array;
  /** Stream offset of `data[0]`. */
  offset: number;
  /** Position of `data[0]` within the message body. */
  bodyPosition: number;
}

export interface Http1MessageEnd {
  messageIndex: number;
  /** Stream offset just past the last byte of the message. */
  endOffset: number;
  bodyLength: number;
  trailers: HeaderPair[];
  /** The stream ended before the message did. */
  incomplete: boolean;
  /**
   * Responses: the body broke off at a chunk boundary where a status line followed, so a new
   * response began (a TLS connection object that a new connection reused after the first
   * closed: its free not seen); the message is `incomplete`.
   */
  followedByResponse?: boolean;
}

export interface Http1Callbacks {
  onHead?(head: Http1Head): void;
  onBody?(chunk: Http1BodyChunk): void;
  onMessageEnd?(end: Http1MessageEnd): void;
  /** Bytes after an upgrade / CONNECT; a view into the fed chunk. */
  onTunnelData?(data: Uint8Array, offset: number): void;
  onError?(error: ProtocolError): void;
}

export interface Http1Options {
  /** Bound on a message head, a trailer section, a chunk-size line and bytes held while
   * waiting for a request method. Default 1 MiB. */
  maxBufferSize?: number;
  /** Stream offset of the first byte fed. Default 0. */
  startOffset?: number;
}

export interface Http1Parser {
  feed(bytes: Uint8Array): void;
  end(): void;
  /** Largest internal buffer capacity so far (for memory-bound checks). */
  readonly peakBufferCapacity: number;
}

export interface Http1ResponseParser extends Http1Parser {
  /** Tells the parser the method of the next request on this connection (in order). */
  expectResponseTo(method: string): void;
}

/** Where the parser is within the current message. */
enum State {
  Head, // reading the start line and header lines
  AwaitMethod, // response head parsed; waiting for the request method to frame the body
  LengthBody, // `remaining` body bytes left
  ChunkSize, // reading a chunk-size line
  ChunkData, // `remaining` bytes of chunk data left
  ChunkDataEnd, // expecting the CRLF after chunk data
  Trailers, // reading trailer lines
  UntilClose, // body runs to the end of the stream
  Tunnel, // no longer HTTP/1
  Stopped, // after an error or end()
}

/** A start line and headers as read, before the message they open is framed. */
type ParsedHead = Pick<
  Http1Head,
  "startOffset" | "method" | "target" | "status" | "reason" | "version" | "headers"
>;

const LF = 0x0a;
const CR = 0x0d;
const TOKEN = /^[!#$%&'*+\-.^_`|~0-9A-Za-z]+$/;
const REQUEST_LINE = /^([!#$%&'*+\-.^_`|~0-9A-Za-z]+) ([^\s]+) (HTTP\/\d\.\d)$/;
const STATUS_LINE = /^(HTTP\/\d\.\d) (\d{3})(?: (.*))?$/;
const MAX_CHUNK_LINE = 4096;

export function createHttp1RequestParser(
  callbacks: Http1Callbacks,
  options: Http1Options = {},
): Http1Parser {
  return createParser("request", callbacks, options);
}

export function createHttp1ResponseParser(
  callbacks: Http1Callbacks,
  options: Http1Options = {},
): Http1ResponseParser {
  return createParser("response", callbacks, options);
}

function createParser(
  kind: "request" | "response",
  cb: Http1Callbacks,
  options: Http1Options,
): Http1ResponseParser {
  const maxBufferSize = options.maxBufferSize ?? 1024 * 1024;
  // ---- state that crosses chunk boundaries ----
  let state = State.Head;
  let offset = options.startOffset ?? 0; // stream offset of the next byte
  const line = new ByteAccumulator(maxBufferSize); // current head/trailer/chunk-size line
  let lineStart = offset;
  let headBytes = 0; // bytes of the current head or trailer section so far
  let head: ParsedHead | null = null; // head under construction
  let message: Http1Head | null = null; // current message (after its head)
  let remaining = 0; // body or chunk bytes left
  let bodyLength = 0;
  let trailers: HeaderPair[] = [];
  let sawCR = false; // ChunkDataEnd: CR of the CRLF seen
  let messages = 0; // messages started in this stream
  const methods: string[] = []; // responses: queued request methods
  let requestsAnswered = 0; // responses: final responses completed
  const pending = new ByteAccumulator(maxBufferSize); // bytes held in AwaitMethod
  let parkedHead: ParsedHead | null = null; // response head waiting for its request method
  let tunnelAfterMessage = false;
  let busy = false; // inside feed(): defer re-entrant resumption

  function fail(code: ProtocolError["code"], message: string, at = offset): void {
    state = State.Stopped;
    line.clear();
    pending.clear();
    cb.onError?.(new ProtocolError(code, `HTTP/1 ${kind}: ${message}`, at));
  }

  function parseStartLine(text: string, at: number): ParsedHead | null {
    if (kind === "request") {
      const m = REQUEST_LINE.exec(text);
      if (!m) return null;
      return { startOffset: at, method: m[1], target: m[2], version: m[3], headers: [] };
    }
    const m = STATUS_LINE.exec(text);
    if (!m) return null;
    return {
      startOffset: at,
      version: m[1],
      status: Number(m[2]),
      reason: m[3] ?? "",
      headers: [],
    };
  }

  /** Parses one header line into `into`; returns an error message or null. */
  function parseFieldLine(text: string, into: HeaderPair[]): string | null {
    const c0 = text.charCodeAt(0);
    if (c0 === 0x20 || c0 === 0x09) {
      // obs-fold: continuation of the previous field value (RFC 9112 5.2), replaced by a space.
      if (into.length === 0) return "continuation line before any header field";
      into[into.length - 1][1] += " " + text.trim();
      return null;
    }
    const colon = text.indexOf(":");
    if (colon <= 0) return `malformed header line ${JSON.stringify(text.slice(0, 80))}`;
    const name = text.slice(0, colon);
    if (!TOKEN.test(name.trimEnd())) {
      return `invalid header name ${JSON.stringify(name.slice(0, 80))}`;
    }
    into.push([name, text.slice(colon + 1).replace(/^[ \t]+|[ \t]+$/g, "")]);
    return null;
  }

  /** Called with each complete head line (without its line ending). */
  function headLine(bytes: Uint8Array, at: number): void {
    const text = latin1Decode(bytes);
    if (head === null) {
      if (text === "") return; // tolerate empty lines before a start line (RFC 9112 2.2)
      head = parseStartLine(text, at);
      if (head === null) {
        fail("syntax", `malformed ${kind} start line ${JSON.stringify(text.slice(0, 80))}`, at);
      }
      return;
    }
    if (text === "") {
      headComplete();
      return;
    }
    const err = parseFieldLine(text, head.headers);
    if (err) fail("syntax", err, at);
  }

  function headComplete(): void {
    const h = head!;
    head = null;
    headBytes = 0;
    // Framing a final response needs its request method (HEAD, CONNECT); interim ones do not.
    if (kind === "response" && h.status! >= 200 && methods.length === 0) {
      parkedHead = h;
      state = State.AwaitMethod;
      return;
    }
    startMessage(h, kind === "response" ? methods[0] : undefined);
  }

  function startMessage(h: ParsedHead, requestMethod: string | undefined): void {
    const lookup = buildHeaderLookup(h.headers);
    const transferCodings = (lookup["transfer-encoding"] ?? [])
      .flatMap((v) => v.split(","))
      .map((v) => v.trim().toLowerCase())
      .filter((v) => v !== "");
    const m: Http1Head = {
      kind,
      index: messages++,
      version: h.version,
      headers: h.headers,
      lookup,
      startOffset: h.startOffset,
      bodyOffset: offset,
      body: "none",
      transferCodings,
    };
    if (kind === "request") {
      m.method = h.method;
      m.target = h.target;
    } else {
      m.status = h.status;
      m.reason = h.reason;
      m.requestIndex = requestsAnswered;
      m.requestMethod = requestMethod;
    }
    // Content-Length: one value, or identical repeated values (RFC 9110 8.6); 1*DIGIT, so
    // leading zeros are legal and do not count toward the bound
    let contentLength: number | undefined;
    const cl = lookup["content-length"];
    if (cl) {
      const values = new Set(
        cl.flatMap((v) => v.split(",")).map((v) => v.trim().replace(/^0+(?=[0-9])/, "")),
      );
      const [only] = values;
      if (values.size !== 1 || !/^[0-9]{1,15}$/.test(only)) {
        fail("framing", `invalid Content-Length ${JSON.stringify(cl.join(", "))}`, h.startOffset);
        return;
      }
      contentLength = Number(only);
    }
    const chunked = transferCodings.length > 0 &&
      transferCodings[transferCodings.length - 1] === "chunked";
    const status = h.status ?? 0;
    const connectionTokens = (lookup["connection"] ?? []).join(",").toLowerCase().split(",")
      .map((t) => t.trim());
    let tunnel = false;
    if (kind === "request") {
      if (transferCodings.length > 0) {
        if (!chunked) {
          fail("framing", "request Transfer-Encoding does not end in chunked", h.startOffset);
          return;
        }
        m.body = "chunked";
      } else if (contentLength !== undefined) {
        m.body = contentLength > 0 ? "length" : "none";
        m.contentLength = contentLength;
      }
      tunnel = h.method === "CONNECT" ||
        (connectionTokens.includes("upgrade") && lookup["upgrade"] !== undefined);
    } else {
      const informational = status >= 100 && status < 200;
      if (informational) m.informational = status !== 101;
      if (informational || status === 204 || status === 304 || requestMethod === "HEAD") {
        m.body = "none";
      } else if (requestMethod === "CONNECT" && status >= 200 && status < 300) {
        m.body = "none";
        tunnel = true;
      } else if (transferCodings.length > 0) {
        m.body = chunked ? "chunked" : "until-close";
      } else if (contentLength !== undefined) {
        m.body = contentLength > 0 ? "length" : "none";
        m.contentLength = contentLength;
      } else {
        m.body = "until-close";
      }
      if (status === 101) tunnel = true;
      if (!m.informational) {
        if (methods.length > 0) methods.shift();
        requestsAnswered++;
      }
    }
    if (tunnel) m.upgrade = true;
    tunnelAfterMessage = tunnel;
    message = m;
    bodyLength = 0;
    trailers = [];
    cb.onHead?.(m);
    if (state === State.Stopped) return;
    switch (m.body) {
      case "none":
        finishMessage(false);
        break;
      case "length":
        remaining = contentLength!;
        state = State.LengthBody;
        break;
      case "chunked":
        state = State.ChunkSize;
        lineStart = offset;
        break;
      case "until-close":
        state = State.UntilClose;
        break;
    }
  }

  function finishMessage(incomplete: boolean, cutAt?: number): void {
    const m = message!;
    message = null;
    state = tunnelAfterMessage && !incomplete ? State.Tunnel : State.Head;
    lineStart = offset;
    cb.onMessageEnd?.({
      messageIndex: m.index,
      endOffset: cutAt ?? offset,
      bodyLength,
      trailers,
      incomplete,
      ...(cutAt !== undefined ? { followedByResponse: true } : {}),
    });
  }

  function emitBody(bytes: Uint8Array, start: number, end: number): void {
    if (end <= start) return;
    const chunk: Http1BodyChunk = {
      messageIndex: message!.index,
      data: bytes.subarray(start, end),
      offset,
      bodyPosition: bodyLength,
    };
    bodyLength += end - start;
    offset += end - start;
    cb.onBody?.(chunk);
  }

  function chunkSizeLine(bytes: Uint8Array, at: number): void {
    const text = latin1Decode(bytes);
    // chunk-size = 1*HEXDIG (RFC 9112 7.1): leading zeros do not count toward the bound
    const m = /^0*([0-9A-Fa-f]+)[ \t]*(;.*)?$/.exec(text);
    if (!m || m[1].length > 13) {
      if (kind === "response" && STATUS_LINE.test(text)) {
        // a status line where the next chunk's size belongs: this body broke off here and a
        // new response begins (a server never sends one inside a chunked body; a client's TLS
        // object reused by a new connection, whose free was not seen, reads on after the cut)
        finishMessage(true, at);
        headLine(bytes, at);
        return;
      }
      fail("framing", `invalid chunk size line ${JSON.stringify(text.slice(0, 80))}`, at);
      return;
    }
    const size = Number.parseInt(m[1], 16);
    if (size === 0) {
      state = State.Trailers;
      headBytes = 0;
    } else {
      remaining = size;
      state = State.ChunkData;
    }
  }

  function trailerLine(bytes: Uint8Array, at: number): void {
    const text = latin1Decode(bytes);
    if (text === "") {
      finishMessage(false);
      return;
    }
    const err = parseFieldLine(text, trailers);
    if (err) fail("syntax", `trailer: ${err}`, at);
  }

  /**
   * Accumulates bytes up to and including the next LF into `line`. Returns the index after the
   * LF if a line completed (the line, without CR/LF, is then in `line`), or -1 if the chunk ran
   * out (or a limit was hit, in which case the parser has stopped).
   */
  function takeLine(bytes: Uint8Array, i: number, limit: number, what: string): number {
    let j = bytes.indexOf(LF, i);
    const stop = j < 0 ? bytes.length : j;
    if (line.length + (stop - i) > limit || !line.append(bytes, i, stop)) {
      fail("buffer-limit", `${what} exceeds ${limit} bytes`, lineStart);
      return -1;
    }
    if (state === State.Head || state === State.Trailers) {
      headBytes += stop - i + (j < 0 ? 0 : 1);
      if (headBytes > maxBufferSize) {
        fail("buffer-limit", `${what} exceeds maxBufferSize (${maxBufferSize} bytes)`, lineStart);
        return -1;
      }
    }
    offset += stop - i;
    if (j < 0) return -1;
    offset += 1; // the LF
    j += 1;
    return j;
  }

  function lineText(): Uint8Array {
    const v = line.view();
    return v.length > 0 && v[v.length - 1] === CR ? v.subarray(0, v.length - 1) : v;
  }

  function run(bytes: Uint8Array): void {
    let i = 0;
    const n = bytes.length;
    while (i < n) {
      switch (state) {
        case State.Stopped:
          return;
        case State.Head:
        case State.Trailers:
        case State.ChunkSize: {
          const what = state === State.Head
            ? `${kind} head`
            : state === State.Trailers
            ? "trailer section"
            : "chunk size line";
          const limit = state === State.ChunkSize
            ? Math.min(MAX_CHUNK_LINE, maxBufferSize)
            : maxBufferSize;
          const next = takeLine(bytes, i, limit, what);
          if (next < 0) return;
          const at = lineStart;
          const content = lineText();
          const current = state;
          if (current === State.Head) headLine(content, at);
          else if (current === State.Trailers) trailerLine(content, at);
          else chunkSizeLine(content, at);
          line.clear();
          lineStart = offset;
          i = next;
          break;
        }
        case State.AwaitMethod: {
          if (methods.length > 0) {
            const h = parkedHead!;
            parkedHead = null;
            startMessage(h, methods[0]);
            break;
          }
          if (!pending.append(bytes, i, n)) {
            fail(
              "buffer-limit",
              `bytes held while waiting for the request method exceed ${maxBufferSize}`,
            );
          }
          return;
        }
        case State.LengthBody: {
          const take = Math.min(remaining, n - i);
          emitBody(bytes, i, i + take);
          i += take;
          remaining -= take;
          if (remaining === 0 && state === State.LengthBody) finishMessage(false);
          break;
        }
        case State.ChunkData: {
          const take = Math.min(remaining, n - i);
          emitBody(bytes, i, i + take);
          i += take;
          remaining -= take;
          if (remaining === 0 && state === State.ChunkData) {
            state = State.ChunkDataEnd;
            sawCR = false;
          }
          break;
        }
        case State.ChunkDataEnd: {
          const b = bytes[i];
          if (b === CR && !sawCR) {
            sawCR = true;
          } else if (b === LF) {
            state = State.ChunkSize;
            lineStart = offset + 1;
          } else {
            fail("framing", "chunk data not followed by CRLF");
            return;
          }
          i++;
          offset++;
          break;
        }
        case State.UntilClose:
          emitBody(bytes, i, n);
          return;
        case State.Tunnel:
          cb.onTunnelData?.(bytes.subarray(i), offset);
          offset += n - i;
          return;
      }
    }
  }

  function resumeAfterMethod(): void {
    if (state !== State.AwaitMethod || busy || methods.length === 0) return;
    const held = pending.view().slice();
    pending.clear();
    busy = true;
    try {
      const h = parkedHead!;
      parkedHead = null;
      startMessage(h, methods[0]);
      run(held);
    } finally {
      busy = false;
    }
  }

  return {
    feed(bytes: Uint8Array) {
      if (state === State.Stopped) return;
      if (state === State.AwaitMethod) {
        if (!pending.append(bytes)) {
          fail(
            "buffer-limit",
            `bytes held while waiting for the request method exceed ${maxBufferSize}`,
          );
        }
        return;
      }
      busy = true;
      try {
        run(bytes);
      } finally {
        busy = false;
      }
      resumeAfterMethod();
    },
    expectResponseTo(method: string) {
      methods.push(method.toUpperCase());
      resumeAfterMethod();
    },
    end() {
      while (state === State.AwaitMethod) {
        // Never told the method: frame as for a non-HEAD request.
        const held = pending.view().slice();
        pending.clear();
        const h = parkedHead!;
        parkedHead = null;
        startMessage(h, undefined);
        run(held);
      }
      switch (state) {
        case State.Head:
          if (head !== null || line.length > 0) {
            fail("truncated", `stream ended inside a ${kind} head`, lineStart);
          }
          break;
        case State.UntilClose:
          finishMessage(false);
          break;
        case State.LengthBody:
        case State.ChunkSize:
        case State.ChunkData:
        case State.ChunkDataEnd:
        case State.Trailers:
          finishMessage(true);
          break;
        default:
          break;
      }
      state = State.Stopped;
    },
    get peakBufferCapacity() {
      return Math.max(line.peakCapacity, pending.peakCapacity);
    },
  };
}

export interface Http1Exchange {
  /** Feed client -> server bytes here. */
  request: Http1Parser;
  /** Feed server -> client bytes here; request methods are supplied automatically. */
  response: Http1ResponseParser;
}

/**
 * Pairs a request parser and a response parser for one connection: every request head tells
 * the response parser its method, so HEAD / CONNECT responses are framed correctly whatever
 * order the two directions are fed in.
 */
export function createHttp1Exchange(
  callbacks: { request: Http1Callbacks; response: Http1Callbacks },
  options: Http1Options & { responseStartOffset?: number } = {},
): Http1Exchange {
  const response = createHttp1ResponseParser(callbacks.response, {
    ...options,
    startOffset: options.responseStartOffset ?? options.startOffset,
  });
  const request = createHttp1RequestParser({
    ...callbacks.request,
    onHead(head) {
      callbacks.request.onHead?.(head);
      response.expectResponseTo(head.method!);
    },
  }, options);
  return { request, response };
}
