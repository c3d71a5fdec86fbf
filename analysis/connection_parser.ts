/**
 * Turns one TLS connection (both byte streams, as rows with offsets) into HTTP exchanges with
 * `protocols`: HTTP/1.1 (keep-alive, chunked; the client's HTTP/2 preface selects
 * HTTP/2 instead) with request/response pairing, or HTTP/2 streams. An exchange that switched
 * to WebSocket (an HTTP/1.1 upgrade answered 101, or an HTTP/2 extended CONNECT, RFC 8441)
 * carries its messages (websocket_stream.ts); bytes tunnelled any other way are reported.
 *
 * Input arrives as the recorded TLS calls, fed to the parsers in time order across the two
 * directions (as they happened). At a stream break (missing or truncated calls) an HTTP/1
 * parser ends — the message in progress is flagged — and a new one starts at the next call that
 * begins a message (a request line, or `HTTP/1.x`); responses are then paired with requests by
 * time. HTTP/2 cannot be resynchronised (HPACK state is lost), so that direction stops there.
 * Everything skipped is reported.
 */
import {
  createHttp1RequestParser,
  createHttp1ResponseParser,
  createHttp2Connection,
  type HeaderLookup,
  type HeaderPair,
  type Http1Callbacks,
  type Http1Head,
  type Http1Parser,
  type Http1ResponseParser,
  HTTP2_PREFACE,
  type Http2Parser,
  originForm,
  startsWithHttp2Frames,
} from "../protocols/mod.ts";
import { isWebSocketRequest, websocketAgreement } from "../protocols/mod.ts";
import { type Connection, type DirectionStream, rowData, type TlsView } from "./byte_streams.ts";
import { webSocketFrameHeader } from "../protocols/websocket_frame.ts";
import {
  parseWebSocketExchange,
  type TunnelInput,
  type WebSocketExchange,
} from "./websocket_stream.ts";
import {
  directionInput,
  type JoinedDirection,
  joinedDirection,
  keptAfterBreak,
  readJoinedWebSocket,
} from "./websocket_joined.ts";

export interface BodyPart {
  data: Uint8Array;
  /** stream offset of data[0] */
  offset: number;
}

export interface Message {
  headers: HeaderPair[];
  lookup: HeaderLookup;
  /** stream offset of the first byte of the head (HTTP/2: of the HEADERS frame) */
  start: number;
  /** stream offset past the last byte seen of the message */
  end: number;
  body: BodyPart[];
  bodyLength: number;
  /** false when the body outgrew `maxBodySize` and its bytes were dropped */
  bodyKept: boolean;
  complete: boolean;
  /**
   * HTTP/1.1 responses: cut short where a new response began on the same TLS connection object
   * (a new connection that reused it: see protocols/http1.ts `followedByResponse`)
   */
  followedByResponse?: boolean;
}

export interface Request extends Message {
  method: string;
  target: string;
  /** HTTP/1: the request-target as sent (a proxy's absolute form, a CONNECT's authority) */
  sentTarget?: string;
}

export interface Response extends Message {
  status: number;
}

export interface Exchange {
  protocol: "http/1.1" | "h2";
  streamId?: number;
  request?: Request;
  response?: Response;
  /** the WebSocket this exchange opened, with its messages */
  websocket?: WebSocketExchange;
  /**
   * HTTP/2: the client reset the stream (CANCEL or NO_ERROR) before the answer ended: it chose to read no
   * more of it (an event stream it no longer wanted), nothing of it went unrecorded
   */
  cancelled?: boolean;
  /**
   * HTTP/2: the server reset the stream (RST_STREAM with this error) before its answer ended:
   * the answer is cut short there, by the server (what came before is all there was)
   */
  serverReset?: string;
  errors: string[];
}

export interface ConnectionResult {
  protocol: "http/1.1" | "h2";
  exchanges: Exchange[];
  /** one line each: errors and skipped bytes not tied to one exchange */
  problems: string[];
}

export interface ParseOptions {
  /** bound on heads, frames and header blocks (default 1 MiB) */
  maxBufferSize?: number;
  /** bound on one WebSocket message held, on the wire and decoded (default 16 MiB / 64 MiB) */
  maxMessageSize?: number;
  /** bound on one kept message body; larger bodies are counted, not kept (default 64 MiB) */
  maxBodySize?: number;
  /** how the capture began (manifest `mode`): one that joined running processes (`pid`,
   * `comm`) may have joined a connection after it began, and one whose first recorded bytes
   * are a whole response, before any request, was joined while that response's request was
   * awaited; the problems say which (undefined: a recording without a manifest) */
  captureMode?: CaptureMode;
  /** counts the frame headers read in searching a connection joined late for WebSocket frames
   * (websocket_resync.ts `findFrameStart`): the search's work, for tests and measurements */
  frameSearch?: { headers: number };
}

/** A manifest's `mode`: the capture started a command, or joined with `--pid` or `--comm`. */
export type CaptureMode = "command" | "pid" | "comm";

/** Why a connection's first recorded bytes are not its start, by how the capture began. */
export function startNotRecorded(mode: CaptureMode | undefined): string {
  switch (mode) {
    case "pid":
    case "comm":
      return `it began before the recording (a capture joined with --${mode})`;
    case "command":
      return "its start was not recorded (a capture that started the command: it was read " +
        "only from later on, as by a TLS hook placed after it began)";
    default:
      return "its start was not recorded (the recording has no manifest to say how the " +
        "capture began)";
  }
}

const DEFAULT_MAX_BODY = 64 * 1024 * 1024;

/**
 * Keeps body bytes unless the body outgrew the bound: as given, a view of the connection's
 * bytes (which stay unchanged while it is parsed) or the HTTP/2 parser's copy of a frame.
 */
function addBody(m: Message, data: Uint8Array, offset: number, max: number): void {
  m.bodyLength += data.length;
  m.end = offset + data.length;
  if (!m.bodyKept) return;
  if (m.bodyLength > max) {
    m.bodyKept = false;
    m.body = [];
    return;
  }
  m.body.push({ data, offset });
}

const REQUEST_START = /^[A-Z]{3,10} \S+ HTTP\/1\.[01]\r?\n/;
const RESPONSE_START = /^HTTP\/1\.[01] \d{3}/;

/** One recorded call: which direction, its bytes and its stream offset. */
interface Feed {
  dir: "write" | "read";
  k: number;
}

function startsWithPreface(t: TlsView, s: DirectionStream): boolean {
  let m = 0;
  for (const i of s.rows) {
    const d = rowData(t, i);
    for (let j = 0; j < d.length && m < HTTP2_PREFACE.length; j++, m++) {
      if (d[j] !== HTTP2_PREFACE[m]) return false;
    }
    if (m === HTTP2_PREFACE.length) return true;
  }
  return false;
}

/** The calls of both directions merged by time (writes first on ties). */
function timeOrder(c: Connection): Feed[] {
  const out: Feed[] = [];
  let w = 0;
  let r = 0;
  const W = c.write;
  const R = c.read;
  while (w < W.rows.length || r < R.rows.length) {
    if (r >= R.rows.length || (w < W.rows.length && W.ts[w] <= R.ts[r])) {
      out.push({ dir: "write", k: w++ });
    } else out.push({ dir: "read", k: r++ });
  }
  return out;
}

function startText(d: Uint8Array): string {
  let s = "";
  for (let i = 0; i < Math.min(d.length, 300); i++) s += String.fromCharCode(d[i]);
  return s;
}

/**
 * Parses one connection. Synchronous; bodies are kept as views of the TLS rows' bytes (which
 * must not change while the result is used; `decodeBody` copies them into one body).
 */
export function parseConnection(
  t: TlsView,
  c: Connection,
  options: ParseOptions = {},
): ConnectionResult {
  return startsWithPreface(t, c.write) ? parseH2(t, c, options) : parseH1(t, c, options);
}

function newMessage(headers: HeaderPair[], lookup: HeaderLookup, start: number): Message {
  return {
    headers,
    lookup,
    start,
    end: start,
    body: [],
    bodyLength: 0,
    bodyKept: true,
    complete: false,
  };
}

/** One direction's resynchronisation after stream breaks (HTTP/1). */
interface ResyncSide {
  what: "request" | "response";
  /** how a call that starts a message of this direction begins */
  start: RegExp;
  /** what the skipped bytes lacked */
  noStart: string;
  /** the direction's current parser */
  parser: () => { feed(data: Uint8Array): void; end(): void };
  /** starts a new parser at a stream offset */
  restart: (offset: number) => void;
  /** true while skipping to the next message start */
  skip: boolean;
  /** the index of the next break in the direction's `breaks` */
  nextBreak: number;
  skipped: number;
  /** how many breaks so far (the segment a response is in) */
  segment: number;
  /** bytes skipped from the direction's first recorded call (a connection joined late) */
  skippedAtStart: number;
  /** what those bytes were, when known (WebSocket frames) */
  startWhat?: string;
  /** skipping from the direction's first recorded call, no message start seen yet */
  atStart: boolean;
}

/** A direction's resynchronisation, before any break. */
const resyncSide = (
  what: ResyncSide["what"],
  start: RegExp,
  noStart: string,
  parser: ResyncSide["parser"],
  restart: ResyncSide["restart"],
): ResyncSide => ({
  what,
  start,
  noStart,
  parser,
  restart,
  skip: false,
  nextBreak: 0,
  skipped: 0,
  segment: 0,
  skippedAtStart: 0,
  atStart: false,
});

/** How a request (its method's first letter) or a status line (`H`) can begin. */
const MAY_START = { write: /^[A-Z]/, read: /^H/ };

/**
 * The first recorded bytes of a direction when they cannot begin an HTTP/1 message: a
 * connection the capture joined after it began (`--pid`, `--comm`), inside a message or past
 * a WebSocket upgrade. Undefined when they may begin one (a request's method, `HTTP/`).
 */
function joinedLate(
  first: Uint8Array,
  dir: "write" | "read",
): { what?: string; websocket?: boolean } | undefined {
  if (!first.length || MAY_START[dir].test(String.fromCharCode(first[0]))) return undefined;
  // HTTP/2 past its preface (which is what tells it from HTTP/1 at a connection's start)
  if (startsWithHttp2Frames(first)) {
    return {
      what: "HTTP/2 frames: the connection's preface and the header tables (HPACK) its " +
        "messages' headers are coded against were not recorded, so its messages are not read",
    };
  }
  const h = webSocketFrameHeader(first);
  // a message's first frame (text, binary) or a control frame; a continuation frame's header is
  // what HTTP/2's frame header (a length's high byte, 0) also passes for
  if (h === null || h === "short" || h.opcode === 0) return {};
  // WebSocket frames past an upgrade not recorded: read as such (joinedWebSocket)
  return { websocket: true };
}

/**
 * A connection whose first recorded bytes, either way, are WebSocket frames: joined after its
 * upgrade. Its messages are read from there on as far as can be done soundly
 * (websocket_joined.ts); one exchange with no request or response carries them.
 */
function joinedWebSocket(
  sides: { client: JoinedDirection; server: JoinedDirection },
  options: ParseOptions,
): ConnectionResult {
  const ws = readJoinedWebSocket(
    sides.client,
    sides.server,
    startNotRecorded(options.captureMode),
    { maxBufferSize: options.maxMessageSize },
  );
  return {
    protocol: "http/1.1",
    exchanges: [{ protocol: "http/1.1", websocket: ws, errors: [...ws.problems] }],
    problems: [],
  };
}

/**
 * Whether a connection whose start was not recorded is a WebSocket past its upgrade: neither
 * direction's first recorded bytes can begin HTTP/1 (or are HTTP/2 frames), and frames masked
 * as each side must mask (RFC 6455 5.1: the client's masked, the server's not) run to the end
 * of both directions, or of one for several whole frames. One frame-like header is not enough:
 * a chunk size (`B2\r\n`) or a server's stray bytes before a status line look like one, and
 * taking them for a WebSocket would hide the connection's requests.
 */
/** How an HTTP/1 message's first bytes look: a method and a target, or a status line's version. */
const BEGINS_HTTP1 = { write: /^[A-Z]{3,10} \S/, read: /^HTTP\/1\./ };

function joinedAsWebSocket(
  t: TlsView,
  c: Connection,
  stats?: { headers: number },
): { client: JoinedDirection; server: JoinedDirection } | null {
  let runs = 0;
  let several = false;
  let frameLike = false;
  // the searches made, handed on to be read from (a direction without rows has none to make)
  const sides = {
    client: joinedDirection({ parts: [] }, "client"),
    server: joinedDirection({ parts: [] }, "server"),
  };
  for (const dir of ["write", "read"] as const) {
    const s = c[dir];
    if (s.rows.length === 0) continue;
    const first = rowData(t, s.rows[0]);
    // a direction that begins an HTTP/1 message is no WebSocket's; other bytes that may begin
    // one by their first letter (the tail of a masked frame, a fragment's start `A`, `B`) may be
    if (BEGINS_HTTP1[dir].test(startText(first))) return null;
    const late = joinedLate(first, dir);
    if (late?.what) return null; // HTTP/2 frames
    if (late?.websocket) frameLike = true;
    const side = dir === "write" ? "client" : "server";
    const { start } = sides[side] = joinedDirection(directionInput(t, s), side, stats);
    if (!start) continue;
    runs++;
    if (start.whole >= 3) several = true;
  }
  return frameLike && (runs === 2 || several) ? sides : null;
}

function parseH1(t: TlsView, c: Connection, options: ParseOptions): ConnectionResult {
  const ws =
    (["write", "read"] as const).some((dir) =>
        c[dir].rows.length > 0 && joinedLate(rowData(t, c[dir].rows[0]), dir)?.websocket
      )
      ? joinedAsWebSocket(t, c, options.frameSearch)
      : null;
  if (ws) return joinedWebSocket(ws, options);
  const problems: string[] = [];
  const requests: Request[] = [];
  const responses: (Response & { requestIndex?: number; segment: number })[] = [];
  const reqErrors = new Map<Message, string[]>();
  // the message each direction's parser is in (null between messages)
  const open: {
    write: Request | null;
    read: (Response & { requestIndex?: number; segment: number }) | null;
  } = { write: null, read: null };
  const maxBufferSize = options.maxBufferSize;
  const maxBody = options.maxBodySize ?? DEFAULT_MAX_BODY;
  const noteError = (m: Message | null, text: string) => {
    if (m) (reqErrors.get(m) ?? reqErrors.set(m, []).get(m)!).push(text);
    else problems.push(text);
  };
  // after an upgrade (or CONNECT) the rest of a direction is a tunnel, kept for the WebSocket
  // parser; a break in it ends it
  const tunnel: Record<"write" | "read", TunnelInput & { on: boolean }> = {
    write: { parts: [], on: false },
    read: { parts: [], on: false },
  };
  let upgradeRequest: Request | null = null;
  let upgradeResponse: Response | null = null;
  // a CONNECT's tunnel inside TLS (an HTTPS proxy's) that carries cleartext HTTP/1: read on as
  // this connection's next exchanges, by parsers started where the tunnel's bytes begin
  const inner: Record<"write" | "read", { feed(data: Uint8Array): void } | null> = {
    write: null,
    read: null,
  };
  const innerStart = { write: REQUEST_START, read: RESPONSE_START };
  // bytes of a tunnel opened inside a CONNECT's tunnel read on (an upgrade or a CONNECT of its
  // own), per direction: counted and said, not read
  const innerTunnel = { write: 0, read: 0, opened: "" };
  // the answer to the CONNECT that opened the tunnel, once read
  const connectAnswer = () => {
    const i = upgradeRequest ? requests.indexOf(upgradeRequest) : -1;
    return responses.find((r) => r.requestIndex === i && i >= 0);
  };
  // a direction's parser's events but its heads: tunnelled bytes, and the body, end and errors
  // of the message open in that direction; `inTunnel`: a parser inside a CONNECT's tunnel
  const messageEvents = (
    dir: "write" | "read",
    inTunnel: boolean,
  ): Omit<Http1Callbacks, "onHead"> => ({
    onTunnelData(data, offset) {
      if (inTunnel) {
        innerTunnel[dir] += data.length;
        return;
      }
      const into = inner[dir];
      if (into) return into.feed(data);
      const answer = dir === "write" ? connectAnswer() : undefined;
      if (
        upgradeRequest?.method === "CONNECT" && answer && (answer.status < 200 ||
          answer.status >= 300) &&
        tunnel.write.parts.length === 0
      ) {
        // the proxy refused the CONNECT (a 407 asking for credentials): no tunnel was opened,
        // and the client's next bytes are new requests to the proxy, read as such
        upgradeRequest = null;
        tunnel.write.on = false;
        req = makeReq(offset);
        return req.feed(data);
      }
      if (
        !c.cleartext && upgradeRequest?.method === "CONNECT" && tunnel[dir].parts.length === 0 &&
        innerStart[dir].test(startText(data))
      ) {
        // the tunnel's exchanges pair with this connection's requests after the CONNECT
        const base = requests.indexOf(upgradeRequest) + 1;
        if (dir === "write") inner.write = req = makeReq(offset, true);
        else {
          inner.read = resp = makeResp(offset, base, true);
          // the tunnel's requests read so far (later ones tell it as they come)
          for (const q of requests.slice(base)) resp.expectResponseTo(q.method);
        }
        return inner[dir]!.feed(data);
      }
      tunnel[dir].parts.push({ data, offset });
    },
    onBody(b) {
      const m = open[dir];
      if (m) addBody(m, b.data, b.offset, maxBody);
    },
    onMessageEnd(e) {
      const m = open[dir];
      if (!m) return;
      m.complete = !e.incomplete;
      m.end = e.endOffset;
      if (e.followedByResponse) m.followedByResponse = true;
      open[dir] = null;
    },
    onError(e) {
      noteError(open[dir], e.message);
    },
  });

  const makeReq = (startOffset: number, inTunnel = false): Http1Parser =>
    createHttp1RequestParser({
      onHead(h: Http1Head) {
        const q: Request = {
          ...newMessage(h.headers, h.lookup, h.startOffset),
          method: h.method!,
          // a proxy's absolute-form target (`POST http://host/path`) as its path
          target: originForm(h.target!),
          sentTarget: h.target!,
          end: h.bodyOffset,
        };
        open.write = q;
        requests.push(q);
        resp.expectResponseTo(h.method!);
        // (an upgrade inside a CONNECT's tunnel read on is not followed further)
        if (h.upgrade && inTunnel) innerTunnel.opened ||= `${q.method} ${q.sentTarget}`;
        else if (h.upgrade) {
          upgradeRequest = q;
          tunnel.write.on = true;
        }
      },
      ...messageEvents("write", inTunnel),
    }, { maxBufferSize, startOffset });

  // `base`: the index of the request its first response answers (a tunnel's parser)
  const makeResp = (startOffset: number, base = 0, inTunnel = false): Http1ResponseParser =>
    createHttp1ResponseParser({
      onHead(h: Http1Head) {
        if (h.informational) return; // 1xx: the final response follows
        const r = {
          ...newMessage(h.headers, h.lookup, h.startOffset),
          status: h.status!,
          end: h.bodyOffset,
          segment: sides.read.segment,
          requestIndex: h.requestIndex === undefined ? undefined : h.requestIndex + base,
        };
        open.read = r;
        responses.push(r);
        if (h.upgrade && !inTunnel) {
          upgradeResponse = r;
          tunnel.read.on = true;
        }
      },
      ...messageEvents("read", inTunnel),
    }, { maxBufferSize, startOffset });

  let req = makeReq(0);
  let resp = makeResp(0);
  // resync state per direction: at a break its parser ends, the message open in it is cut, and
  // its calls are skipped until one starts a message, where a new parser starts
  const sides: Record<"write" | "read", ResyncSide> = {
    write: resyncSide("request", REQUEST_START, "no request start", () => req, (offset) => {
      req = makeReq(offset);
    }),
    read: resyncSide("response", RESPONSE_START, "no status line", () => resp, (offset) => {
      resp = makeResp(offset);
      const last = requests.at(-1);
      if (last) resp.expectResponseTo(last.method);
    }),
  };
  // a connection joined after it began: each direction is read from its first message start,
  // as after a break
  for (const dir of ["write", "read"] as const) {
    const s = c[dir];
    const late = s.rows.length ? joinedLate(rowData(t, s.rows[0]), dir) : undefined;
    if (!late) continue;
    sides[dir].skip = true;
    sides[dir].atStart = true;
    sides[dir].startWhat = late.what;
    sides[dir].segment++;
  }
  // HTTP/1's client speaks first: in a capture that joined running processes, a connection
  // whose first recorded bytes are a response that begins cleanly, before any recorded request,
  // was joined while that response's request was awaited. Counting would pair that response
  // with the next request and every later one off by one; pairing goes by time instead, and
  // the response stays alone. (Only when joined: a capture that started the command saw every
  // connection begin, and a thread's write recorded a little after the answer it caused must
  // not unpair them.)
  const joinedRunning = options.captureMode === "pid" || options.captureMode === "comm";
  const answerFirst = joinedRunning && c.read.rows.length > 0 && c.write.rows.length > 0 &&
    !sides.read.skip && c.read.ts[0] < c.write.ts[0];
  if (answerFirst) {
    problems.push(
      "the connection's first recorded bytes are a response whose request was not recorded: " +
        `${startNotRecorded(options.captureMode)}; responses are paired with requests by time`,
    );
  }
  const joined = sides.write.skip || sides.read.skip || answerFirst;
  for (const f of timeOrder(c)) {
    const s = f.dir === "write" ? c.write : c.read;
    const data = rowData(t, s.rows[f.k]);
    const off = s.starts[f.k];
    // a tunnel's bytes from a break on are kept by run (each up to the next break)
    if (tunnel[f.dir].on && keptAfterBreak(tunnel[f.dir], s, f.k, { data, offset: off })) continue;
    const side = sides[f.dir];
    if (side.nextBreak < s.breaks.length && s.breaks[side.nextBreak].at === f.k) {
      while (side.nextBreak < s.breaks.length && s.breaks[side.nextBreak].at === f.k) {
        side.nextBreak++;
      }
      side.parser().end();
      side.atStart = false;
      const m = open[f.dir];
      if (m) noteError(m, `${side.what} cut by a gap in the TLS stream`);
      open[f.dir] = null;
      side.skip = true;
      side.segment++;
    }
    if (side.skip) {
      if (!side.start.test(startText(data))) {
        if (side.atStart) side.skippedAtStart += data.length;
        else side.skipped += data.length;
        continue;
      }
      side.atStart = false;
      side.skip = false;
      side.restart(off);
    }
    side.parser().feed(data);
  }
  req.end();
  resp.end();
  if (innerTunnel.write + innerTunnel.read > 0) {
    problems.push(
      `${innerTunnel.write} + ${innerTunnel.read} bytes of a tunnel inside the CONNECT tunnel ` +
        `(${innerTunnel.opened || "opened"}) not parsed: a tunnel inside the tunnel is not read`,
    );
  }
  for (const side of [sides.write, sides.read]) {
    if (side.skippedAtStart) {
      problems.push(
        `${side.skippedAtStart} ${side.what} bytes from the connection's first recorded byte ` +
          `skipped: ${startNotRecorded(options.captureMode)}${
            side.startWhat ? `; they are ${side.startWhat}` : ", inside a message"
          }`,
      );
    }
    if (side.skipped) {
      problems.push(`${side.skipped} ${side.what} bytes after a gap skipped (${side.noStart})`);
    }
  }

  // Pairing: by the parser's own count while the streams never broke, else by time.
  const exchanges: Exchange[] = [];
  const broken = joined || c.write.breaks.length > 0 || c.read.breaks.length > 0;
  const paired = new Map<number, Response>();
  if (!broken) {
    for (const r of responses) {
      if (r.requestIndex !== undefined && r.requestIndex < requests.length) {
        paired.set(r.requestIndex, r);
      }
    }
  } else {
    const reqTs = requests.map((q) => tsOf(c.write, q.start));
    for (const r of responses) {
      const rts = tsOf(c.read, r.start);
      let best = -1;
      for (let i = 0; i < requests.length; i++) if (reqTs[i] <= rts) best = i;
      if (best >= 0 && !paired.has(best)) paired.set(best, r);
    }
  }
  const used = new Set<Response>(paired.values());
  const upgradeIndex = upgradeRequest ? requests.indexOf(upgradeRequest) : -1;
  const tunnelled = finishTunnel(
    tunnel,
    upgradeRequest,
    upgradeResponse ?? paired.get(upgradeIndex) ?? null,
    options,
  );
  problems.push(...tunnelled.problems);
  requests.forEach((q, i) => {
    const r = paired.get(i);
    const x: Exchange = {
      protocol: "http/1.1",
      request: q,
      response: r,
      errors: [...(reqErrors.get(q) ?? []), ...(r ? reqErrors.get(r) ?? [] : [])],
    };
    if (q === upgradeRequest && tunnelled.websocket) {
      x.websocket = tunnelled.websocket;
      x.errors.push(...tunnelled.websocket.problems);
    }
    exchanges.push(x);
  });
  for (const r of responses) {
    if (used.has(r)) continue;
    exchanges.push({ protocol: "http/1.1", response: r, errors: reqErrors.get(r) ?? [] });
  }
  return { protocol: "http/1.1", exchanges, problems };
}

const bytesIn = (parts: BodyPart[]) => parts.reduce((n, p) => n + p.data.length, 0);

/**
 * What a CONNECT tunnel inside this (TLS) connection carries, an HTTPS proxy's: TLS to the
 * target (a TLS record, RFC 8446 5.1: a handshake's 0x16 0x03), whose plaintext the recording
 * holds as a connection of its own where that TLS is hooked, or anything else, not read here.
 */
function connectTunnel(client: BodyPart[]): string {
  const first = client.find((p) => p.data.length > 0)?.data;
  return first && first[0] === 0x16 && first[1] === 0x03
    ? "TLS to the target inside the proxy's TLS (its plaintext is a connection of its own " +
      "where that TLS is hooked)"
    : "a proxy's tunnel inside TLS to it is not read";
}

/**
 * What the bytes after an HTTP/1.1 upgrade were: a WebSocket's messages when the request asked
 * for one and the server switched; otherwise a line saying what was not parsed.
 */
function finishTunnel(
  tunnel: Record<"write" | "read", TunnelInput & { on: boolean }>,
  request: Request | null,
  response: Response | null,
  options: ParseOptions,
): { websocket?: WebSocketExchange; problems: string[] } {
  const problems: string[] = [];
  const sent = bytesIn(tunnel.write.parts) + (tunnel.write.broken?.rest ?? 0);
  const got = bytesIn(tunnel.read.parts) + (tunnel.read.broken?.rest ?? 0);
  if (!request) {
    if (got > 0) problems.push(`${got} response bytes after a tunnel was opened not parsed`);
    return { problems };
  }
  const what = `${request.method} ${request.target}`;
  if (!isWebSocketRequest(request.lookup)) {
    const upgrade = request.lookup["upgrade"]?.join(", ");
    if (sent + got > 0) {
      problems.push(
        `${sent} + ${got} bytes tunnelled after ${what}${
          upgrade ? ` (Upgrade: ${upgrade})` : ""
        } not parsed: ${
          request.method === "CONNECT"
            ? connectTunnel(tunnel.write.parts)
            : "only WebSocket is understood"
        }`,
      );
    }
    return { problems };
  }
  const agreement = websocketAgreement(request.lookup, response?.status, response?.lookup);
  if (!agreement.switched) {
    if (sent + got > 0) {
      problems.push(
        `${sent} + ${got} bytes after the WebSocket upgrade ${what} not parsed: the server ` +
          `answered ${response ? response.status : "nothing"}, not 101`,
      );
    }
    return { problems };
  }
  const websocket = parseWebSocketExchange(agreement, tunnel.write, tunnel.read, {
    maxBufferSize: options.maxMessageSize,
  });
  return { websocket, problems };
}

/**
 * A WebSocket over HTTP/2 (RFC 8441): an extended CONNECT with `:protocol websocket`, whose
 * DATA in each direction carries the frames.
 */
function h2WebSocket(x: Exchange, options: ParseOptions): void {
  const q = x.request;
  if (!q || q.method !== "CONNECT" || q.lookup[":protocol"]?.[0]?.toLowerCase() !== "websocket") {
    return;
  }
  const r = x.response;
  const status = r && r.status >= 200 && r.status < 300 ? 101 : r?.status;
  const agreement = websocketAgreement(
    { ...q.lookup, upgrade: ["websocket"] },
    status,
    r ? { ...r.lookup, upgrade: ["websocket"] } : undefined,
  );
  if (!agreement.switched) return;
  if (!q.bodyKept || (r && !r.bodyKept)) {
    x.errors.push("WebSocket over HTTP/2: a direction outgrew the body bound; not parsed");
    return;
  }
  x.websocket = parseWebSocketExchange(agreement, { parts: q.body }, { parts: r?.body ?? [] }, {
    maxBufferSize: options.maxMessageSize,
  });
  x.errors.push(...x.websocket.problems);
}

function tsOf(s: DirectionStream, offset: number): bigint {
  let lo = 0;
  let hi = s.starts.length - 1;
  if (hi < 0) return 0n;
  while (lo < hi) {
    const mid = (lo + hi + 1) >> 1;
    if (s.starts[mid] <= offset) lo = mid;
    else hi = mid - 1;
  }
  return s.ts[lo];
}

function parseH2(t: TlsView, c: Connection, options: ParseOptions): ConnectionResult {
  const problems: string[] = [];
  const maxBody = options.maxBodySize ?? DEFAULT_MAX_BODY;
  const streams = new Map<number, Exchange>();
  const order: number[] = [];
  const get = (id: number): Exchange => {
    let x = streams.get(id);
    if (!x) {
      streams.set(id, x = { protocol: "h2", streamId: id, errors: [] });
      order.push(id);
    }
    return x;
  };
  const conn = createHttp2Connection({
    onHeaders(h) {
      const x = get(h.streamId);
      if (h.direction === "client" && h.kind === "request") {
        x.request = {
          ...newMessage(h.headers, h.lookup, h.offset),
          method: h.pseudo.method ?? "",
          target: h.pseudo.path ?? "",
          end: h.endOffset,
        };
      } else if (h.direction === "server" && h.kind === "response") {
        x.response = {
          ...newMessage(h.headers, h.lookup, h.offset),
          status: h.pseudo.status ?? 0,
          end: h.endOffset,
        };
      } else if (h.kind === "trailers") {
        const m = h.direction === "client" ? x.request : x.response;
        if (m) {
          m.headers = [...m.headers, ...h.headers];
          m.end = h.endOffset;
        }
      }
    },
    onData(d) {
      const x = get(d.streamId);
      const m = d.direction === "client" ? x.request : x.response;
      if (m) addBody(m, d.data, d.offset, maxBody);
    },
    onStreamEnd(e) {
      const x = get(e.streamId);
      const m = e.direction === "client" ? x.request : x.response;
      if (e.reason === "end-stream") {
        if (m) m.complete = true;
      } else if (
        e.reason === "rst-stream" && e.direction === "client" &&
        (e.errorName === "CANCEL" || e.errorName === "NO_ERROR")
      ) {
        // a client cancelling a stream (Codex does, once it has the answer, and with MCP's
        // event stream it no longer wants) is no error, nor one closing it with NO_ERROR (RFC
        // 9113 section 7: "not a result of an error"; Node's http2 client closes so a stream it
        // is done with: GitHub Copilot CLI 1.0.11 each error answer's)
        if (!x.response?.complete) x.cancelled = true;
      } else if (
        e.reason === "rst-stream" && e.direction === "server" && x.request?.complete &&
        !x.response?.complete
      ) {
        // the server broke off its answer: an incomplete answer, and why (said once, there)
        x.serverReset = e.errorName;
      } else if (e.reason === "rst-stream") {
        x.errors.push(`${e.direction} reset the stream (${e.errorName})`);
      }
    },
    onError(e) {
      problems.push(e.message);
    },
  }, { maxBufferSize: options.maxBufferSize });
  const parsers: Record<"write" | "read", Http2Parser> = { write: conn.client, read: conn.server };
  const stopped = { write: false, read: false };
  for (const f of timeOrder(c)) {
    if (stopped[f.dir]) continue;
    const s = f.dir === "write" ? c.write : c.read;
    const b = s.breaks.find((x) => x.at === f.k);
    if (b) {
      stopped[f.dir] = true;
      const rest = s.length - s.starts[f.k];
      problems.push(
        `HTTP/2 ${f.dir === "write" ? "client" : "server"} stream broken at offset ` +
          `${b.offset} (${
            b.kind === "missing" ? `${b.amount} TLS calls missing` : "truncated call"
          });` +
          ` ${rest} bytes after it not parsed (HTTP/2 cannot resynchronise)`,
      );
      for (const x of streams.values()) {
        const m = f.dir === "write" ? x.request : x.response;
        if (!m?.complete) x.errors.push("stream cut by a gap in the TLS stream");
      }
      continue;
    }
    parsers[f.dir].feed(rowData(t, s.rows[f.k]));
  }
  conn.client.end();
  conn.server.end();
  const exchanges = order.map((id) => streams.get(id)!).filter((x) => x.request || x.response);
  for (const x of exchanges) h2WebSocket(x, options);
  return { protocol: "h2", exchanges, problems };
}
