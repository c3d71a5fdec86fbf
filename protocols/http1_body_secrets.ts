/**
 * Secrets out of the JSON-RPC bodies of an HTTP/1 byte stream (MCP over HTTP: streamable HTTP's
 * POSTs and their JSON or event-stream answers, HTTP+SSE's message events), same length and
 * streaming, for the capture to run over each direction of a TLS connection before anything
 * is written. Only bodies that are JSON-RPC by the rule the analysis recognises MCP over HTTPS
 * by (`isJsonRpcBody`, protocols/jsonrpc.ts) are touched, by the rule the analysis masks
 * `mcp_messages` by (`createJsonSecretMasker`, json_secrets.ts): an LLM API request whose tool
 * call carries a `password` argument is data, and goes through byte for byte.
 *
 * It follows the message framing (a head; then `Content-Length`, chunked coding, or to the end
 * of the stream; no body for a request without either, a 1xx/204/304 answer or the answer to a
 * HEAD, whose methods the two directions share), and takes an event-stream body event by event.
 * A body whose first non-blank byte is no `{` or `[` goes through at once; one with a
 * `Content-Encoding` but identity (gzip, br, any: not decoded) is masked whole (`*`s, same
 * length) where it would be scanned (an MCP connection's, an answer to a request not seen),
 * else goes through at once but a request's: an encoded request on a connection not yet MCP's is
 * held to its end and decoded (content_decode_sync.ts), masked whole if it is JSON-RPC, cut, not
 * decodable, or past a cap (MAX_ENCODED_BODY held, MAX_DECODED_BODY decoded: counted in
 * `BodyMaskCounts`), else let out as it came (one in a coding not decoded here: masked as it
 * comes); a JSON body (an event) is held until it ends, then masked if it is JSON-RPC.
 * The test is cheap for a body that is not: a JSON-RPC body holds the bytes `"jsonrpc"`, so a
 * body without them (a prompt) is only searched for a `j`, never decoded nor parsed.
 *
 * What is scanned, so that an LLM API's traffic (large prompts, long event streams) costs
 * little more than following its framing:
 *
 * - Requests: every JSON body's start is read. An object whose first member is none of
 *   JSON-RPC 2.0's (`jsonrpc`, `id`, `method`, `params`, `result`, `error`; every MCP SDK writes
 *   only these, the TypeScript and Python ones `method` or `result` first and `jsonrpc` last)
 *   goes through as soon as that name is read: an LLM request (`{"model":`, `{"messages":`).
 *   A batch (`[`), a name with an escape, or any body on an MCP connection is held to its end.
 * - A connection is MCP's once a request on it had a JSON body holding `"jsonrpc"` or one of
 *   streamable HTTP's headers (`Mcp-Session-Id`, `MCP-Protocol-Version`, or an `Accept` of both
 *   `application/json` and `text/event-stream`, which its POSTs must send); the two directions
 *   share it. Answers are scanned on an MCP connection, and when their request was not seen
 *   (the capture began after it); other answers go through as they come.
 * - An event stream not scanned so is looked at up to its first dispatched event (one with
 *   `data`): MCP's HTTP+SSE transport (2024-11-05) opens it with a GET on a connection of its
 *   own and must send an `endpoint` event first; then the rest of it is scanned.
 *
 * Not masked, by that rule: a JSON-RPC object whose first member is some other name, sent on a
 * connection not yet MCP's (e.g. an HTTP+SSE POST written by hand with `{"x":1,"jsonrpc":...`);
 * the answers on a connection that has sent no JSON-RPC, and an event stream whose first event
 * is no `endpoint` (an HTTP+SSE GET stream begun before the capture, or one with its MCP headers
 * left off); an event stream begun before the capture (no framing to find in it).
 *
 * A body cut short (a gap, the end of the capture) cannot be parsed: if it is JSON that holds
 * `"jsonrpc"` it is masked anyway (over-redaction, never under). Framing is found at a line that
 * looks like a request or status line: at the start (a capture may begin inside a message), and
 * again after a gap or anything unexpected; the bytes before it go through.
 */
import { createJsonSecretMasker, MAY_BE_SECRET_KEY } from "./json_secrets.ts";
import { isJsonRpcBody, looksLikeJson } from "./jsonrpc.ts";
import { FirstMemberReader, isMcpRequestHeader, SseEndpointProbe } from "./mcp_http_rule.ts";
import { concatBytes } from "../kit/bytes.ts";
import { isStartLine } from "./start_line.ts";
import { decodeContentSync } from "./content_decode_sync.ts";
import { parseContentEncoding, stageFor } from "./content_codings.ts";
import { ProtocolError } from "./protocol_error.ts";

/**
 * The state the two directions of one connection share: methods of unanswered requests, and
 * whether the connection is MCP's (answers are scanned only then: see the module doc).
 */
export interface Http1Exchanges {
  methods: string[];
  /** a request on it had a JSON body holding `"jsonrpc"`, or MCP's streamable-HTTP headers */
  mcp?: boolean;
}

/** A same-length rewrite of one direction's bytes; output lags input while a body is held. */
export interface BodySecretMasker {
  transform(chunk: Uint8Array): Uint8Array;
  /** A gap in the stream: what was held goes out (masked as a cut body); framing is lost. */
  gap(): Uint8Array;
  /**
   * A gap of `lost` bytes inside a body it lets through (`passing`) of known length, or a
   * chunk's data, with more than `lost` left: the framing goes on past them (true), so that
   * the next message is found where the body ends, even with no line end before it (a body of
   * known length ends where the next request begins). Else false: the caller takes `gap()`.
   */
  skip(lost: number): boolean;
  /** The end of the stream: what was held, masked as a cut body. */
  flush(): Uint8Array;
  /**
   * Before any byte: the stream is a tunnel from its start, as after a `101` (WebSocket frames
   * a capture joined after their upgrade: protocols/websocket_start.ts): all of it goes through.
   */
  tunnel(): void;
  /**
   * Whether it follows the stream's framing: false at the start and after a gap or anything
   * unexpected, until a request or status line (bytes meanwhile go through untouched).
   */
  readonly framed: boolean;
  /**
   * Whether it is inside a body (or a tunnel) it lets through unscanned: an LLM API's request
   * after its first member, an answer on a connection not MCP's. A gap there needs no masking
   * of the bytes after it; one anywhere else (a head, a JSON-RPC body) may.
   */
  readonly passing: boolean;
  /**
   * Where a gap of `lost` bytes (undefined: not known) right after the bytes fed so far lands,
   * by the framing (call it before `gap`, which loses the framing).
   */
  landing(lost: number | undefined): GapLanding;
  /**
   * From now on, where it takes a start line and where it loses the framing, by offsets in its
   * input (its output is the same bytes, same length, later): for the JSON masker after a gap,
   * which lets bytes through only where this follows the framing (gap_json_masker.ts).
   */
  watchFraming(): FramingLog;
}

/**
 * Where a body masker found and lost the framing, as offsets into its byte stream (0: its
 * first byte); each list ascending, pruned by whoever reads it.
 */
export interface FramingLog {
  /** bytes it had been fed when the log began */
  readonly from: number;
  /** after each start line it took (its LF's offset + 1): the framing followed from there */
  starts: number[];
  /** where each loss of the framing takes effect (bytes from there passed unframed) */
  losses: number[];
  /**
   * Where the line being read began if the framing may yet be lost at it (a chunk-size line, the
   * line ending a chunk's data, a head's first line; its LF not yet in), else Infinity: a reader
   * that lets followed bytes through holds that line's bytes until this moves past them.
   */
  open: number;
  /** no more entries */
  stop(): void;
}

/**
 * Where a gap in an HTTP/1 byte stream lands, as the framing followed up to it tells
 * (RFC 9112 6): `body` — inside a message body (one of known length or a chunk with more left
 * than the gap, one read to the end of the connection, or a tunnel after a `101` or a
 * `CONNECT`); `start` — exactly where the next message begins (a body of known length ends
 * where the gap does); `unknown` — anywhere else (a gap in a head, across a body's end, of
 * unknown length, or while the framing is lost): it may be inside a head.
 */
export type GapLanding = "body" | "start" | "unknown";

const LF = 10, CR = 13, SP = 32, HT = 9, QUOTE = 34;
const J = 0x6a, STAR = 0x2a;
const SONRPC = [0x73, 0x6f, 0x6e, 0x72, 0x70, 0x63, QUOTE];
/** head lines are kept up to this many bytes (only a few short headers matter) */
export const MAX_LINE = 8192;
/** a held body's buffer is made this big at most before its bytes come */
const MAX_PRESIZE = 64 << 20;

/**
 * The most bytes an encoded request's decoding may yield to be judged (Kind.Encoded), and the
 * most bytes held meanwhile (its encoded bytes and chunk framing: a chunk-size line is bad past
 * MAX_LINE): past either it is masked whole, unjudged, and counted (`BodyMaskCounts`). An MCP request is a few KiB; the large encoded requests are an
 * LLM API's (Codex zstd-compresses its Responses requests: the instructions, tool definitions
 * and whole conversation each turn, ~1 MiB of text at a 272k-token context, images as base64
 * beside it), so 16 MiB decoded holds them with room, while a decompression bomb stops there
 * (a 204 KB gzip of 200 MiB of zeros: ~14 ms of CPU, against ~31 ms at 64 MiB:
 * reports/bench/capture.md Session 40). The encoded cap is the same: a coding enlarges what it
 * cannot compress by a fraction of a percent (deflate's stored blocks 5 bytes in 64 KiB), so a
 * body past it encoded would decode past it.
 */
export const MAX_DECODED_BODY = 16 << 20;
export const MAX_ENCODED_BODY = MAX_DECODED_BODY;

/**
 * What a direction's masker masked whole without judging it, counted for the capture's
 * warnings (shared by every masker of a recording's TLS, or of its ipc streams).
 */
export interface BodyMaskCounts {
  /** encoded request bodies past MAX_ENCODED_BODY held, or decoding past MAX_DECODED_BODY */
  encodedOverCap: number;
}

/**
 * The capture's warning for `n` encoded request bodies masked whole unjudged, `where` the bytes
 * were ("TLS plaintext", "cleartext HTTP over TCP"). Not a `tls:` line: the rows show the `*`s,
 * not why (recording/manifest.ts restatesRows), so an analysis repeats it.
 */
export function encodedOverCapWarning(where: string, n: number): string[] {
  if (!n) return [];
  const mib = MAX_DECODED_BODY >> 20;
  return [
    `${n} encoded request ${n === 1 ? "body" : "bodies"} (Content-Encoding) in ${where}, on ` +
    `connections not known to be MCP's, masked whole without being judged: past ${mib} MiB ` +
    "encoded or decoded (a decompression bomb, or a request that large)",
  ];
}

/**
 * The judgement of an encoded request body held whole (HTTP/1's and HTTP/2's): decoded (at most
 * MAX_DECODED_BODY), `rpc` if it is JSON-RPC (or JSON holding `"jsonrpc"`: its connection is
 * MCP's); `mask` if it is cut (`complete` false) or cannot be decoded (it may be), a decoding past
 * the cap counted in `counts`; `pass` if it is something else (an LLM API's request: Codex
 * compresses some with zstd). `rpc` and `mask` mean masked whole: it cannot be coded again.
 */
export function judgeEncodedBody(
  encoding: string,
  bytes: Uint8Array,
  complete: boolean,
  counts?: BodyMaskCounts,
): "rpc" | "mask" | "pass" {
  if (!complete) return "mask";
  try {
    const decoded = decodeContentSync(encoding, bytes, { maxOutputSize: MAX_DECODED_BODY });
    const text = utf8.decode(decoded);
    return looksLikeJson(text) && (isJsonRpcBody(text) || text.includes('"jsonrpc"'))
      ? "rpc"
      : "pass";
  } catch (e) {
    // not decodable, or decoding past the cap (a bomb): masked
    if (e instanceof ProtocolError && e.code === "output-limit" && counts) {
      counts.encodedOverCap++;
    }
    return "mask";
  }
}

/** Whether `b` holds the bytes `"jsonrpc"`, as every JSON-RPC body does. */
export function mentionsJsonRpc(b: Uint8Array): boolean {
  for (let i = b.indexOf(J, 1); i >= 0; i = b.indexOf(J, i + 1)) {
    if (b[i - 1] !== QUOTE || i + SONRPC.length >= b.length) continue;
    let k = 0;
    while (k < SONRPC.length && b[i + 1 + k] === SONRPC[k]) k++;
    if (k === SONRPC.length) return true;
  }
  return false;
}

const utf8 = new TextDecoder();
const EMPTY = new Uint8Array(0);

/**
 * Masks `payload` in place if it is a JSON-RPC body (`complete`), or a cut one that may have
 * been (JSON holding `"jsonrpc"`): `masked`; `rpc`: not masked, but JSON holding `"jsonrpc"`
 * (it marks its connection MCP's); `none`: neither.
 */
export function maskJsonRpcPayload(
  payload: Uint8Array,
  complete: boolean,
): "masked" | "rpc" | "none" {
  if (!mentionsJsonRpc(payload)) return "none";
  const text = utf8.decode(payload);
  if (!looksLikeJson(text)) return "none";
  // no key the masker would mask: no need to parse it (most MCP bodies)
  if (!MAY_BE_SECRET_KEY.test(text)) return "rpc";
  if (complete && !isJsonRpcBody(text)) return "rpc";
  const masked = createJsonSecretMasker().transform(payload);
  if (masked !== payload) payload.set(masked);
  return "masked";
}

/**
 * Masks in place the data of one event-stream event (its bytes, blank line and all) if it is a
 * JSON-RPC `message` event, by `maskJsonRpcPayload` over its data lines' values joined by LF as
 * SSE does (the default type is `message`); the answer is `maskJsonRpcPayload`'s.
 */
export function maskSseEvent(bytes: Uint8Array, complete: boolean): "masked" | "rpc" | "none" {
  if (!mentionsJsonRpc(bytes)) return "none";
  let type = "message";
  const values: number[] = [];
  for (let a = 0; a < bytes.length;) {
    let e = bytes.indexOf(LF, a);
    if (e < 0) e = bytes.length;
    const lineEnd = e > a && bytes[e - 1] === CR ? e - 1 : e;
    const field = fieldOf(bytes, a, lineEnd);
    if (field === "event") type = latin1(bytes, valueStart(bytes, a + 6, lineEnd), lineEnd);
    else if (field === "data") values.push(valueStart(bytes, a + 5, lineEnd), lineEnd);
    a = e + 1;
  }
  if (type !== "message" || !values.length) return "none";
  let n = values.length / 2 - 1;
  for (let k = 0; k < values.length; k += 2) n += values[k + 1] - values[k];
  const data = new Uint8Array(n);
  for (let k = 0, o = 0; k < values.length; k += 2) {
    if (k) data[o++] = LF;
    data.set(bytes.subarray(values[k], values[k + 1]), o);
    o += values[k + 1] - values[k];
  }
  const r = maskJsonRpcPayload(data, complete);
  if (r === "masked") {
    for (let k = 0, o = 0; k < values.length; k += 2) {
      if (k) o++;
      bytes.set(data.subarray(o, o + values[k + 1] - values[k]), values[k]);
      o += values[k + 1] - values[k];
    }
  }
  return r;
}

const enum St {
  Head,
  Body,
  ChunkSize,
  ChunkData,
  ChunkEnd,
  Trailer,
  /** after a 101 or an upgrade request: not HTTP/1 any more */
  Tunnel,
  /** framing lost: waiting for a request or status line */
  Lost,
}

const enum Kind {
  Pass,
  Json,
  Sse,
  /** an event stream not (yet) known to be MCP's: passed, its first event looked at */
  Probe,
  /** an encoded body (a Content-Encoding but identity) that would be scanned: masked whole */
  Mask,
  /**
   * an encoded request body on a connection not (yet) MCP's: held to its end, decoded, masked
   * whole if JSON-RPC (or cut, or not decodable), else out as it came
   */
  Encoded,
}

/** A masker for one direction; `shared` is the connection's (both directions'). */
export function createHttp1BodySecrets(
  shared: Http1Exchanges = { methods: [] },
  counts?: BodyMaskCounts,
): BodySecretMasker {
  // a stream (a capture) may begin inside a message: framing is found at a start line
  let st = St.Lost;
  let line = "";
  // the head being read
  let start: string | null = null;
  let response = false, status = 0, method = "";
  let contentLength = -1, chunked = false, sse = false, encoded = false, upgrade = false;
  /** every coding of the head's Content-Encoding is one content_decode_sync.ts undoes */
  let decodable = true;
  /** the head's Content-Encoding value */
  let encoding = "";
  /** a request with MCP's streamable-HTTP headers (`Mcp-Session-Id`, `MCP-Protocol-Version`) */
  let mcpHeaders = false;
  /** the body being read is scanned in full (JSON held to its end, every event looked at) */
  let scan = false;
  /** Body: bytes left (Infinity: to the end of the stream); ChunkData: bytes left in the chunk */
  let remaining = 0;
  let kind = Kind.Pass;
  /** Json: how far its start is read; the first member's name so far */
  const first = new FirstMemberReader();
  /** Probe: its first event is looked at */
  let prober = new SseEndpointProbe();
  /** Sse: the line being read has had nothing but CR */
  let lineEmpty = true;
  /** Sse: the event so far has a `j` (no `"jsonrpc"` without one) */
  let eventHasJ = false;
  // held bytes (raw, chunk framing and all) and where the payload is in them
  let holding = false;
  let buf = new Uint8Array(4096);
  let bufLen = 0;
  let segs: number[] = [];
  /** bytes at the start of `buf` that are final, not yet out */
  let done = 0;
  let pieces: Uint8Array[] = [];
  /** Kind.Mask: `*`s for its payload, handed out from `starsAt` on */
  let stars = EMPTY, starsAt = 0;
  /** bytes fed before the chunk at hand; where the line being read began */
  let fed = 0, lineAt = 0;
  let log: FramingLog | null = null;
  /** the offset of the byte at hand's successor (set before a line's end is handled) */
  let here = 0;
  const lostAt = (at: number) => log?.losses.push(at);

  /** Out with the final bytes of `buf` (before anything after them in the stream). */
  const outDone = () => {
    if (done === 0) return;
    if (done === bufLen) {
      pieces.push(buf.subarray(0, done));
      buf = new Uint8Array(4096);
    } else {
      pieces.push(buf.slice(0, done));
      buf.copyWithin(0, done, bufLen);
      for (let k = 0; k < segs.length; k++) segs[k] -= done;
    }
    bufLen -= done;
    done = 0;
  };

  // where the next `j` of `jIn` is at or after `jFrom` (-1: none), so that finding a `j` in
  // each event of a chunk searches the chunk once
  let jIn: Uint8Array | null = null;
  let jFrom = 0, jAt = -1;
  const hasJ = (chunk: Uint8Array, a: number, b: number): boolean => {
    if (jIn !== chunk || a < jFrom || (jAt >= 0 && jAt < a)) {
      jIn = chunk;
      jFrom = a;
      jAt = chunk.indexOf(J, a);
    }
    return jAt >= 0 && jAt < b;
  };

  // bytes of the chunk at hand that go out as they are, not yet in `pieces` (a run of them is
  // one range, extended as it goes on: most bytes cost nothing more than being looked at)
  let passIn: Uint8Array | null = null;
  let passA = 0, passB = 0;
  const flushPass = () => {
    if (passIn === null) return;
    const last = pieces.at(-1);
    if (
      last && last.buffer === passIn.buffer && passA >= last.length &&
      last.byteOffset + last.length === passIn.byteOffset + passA
    ) {
      pieces[pieces.length - 1] = passIn.subarray(passA - last.length, passB);
    } else pieces.push(passIn.subarray(passA, passB));
    passIn = null;
  };

  const hold = (chunk: Uint8Array, a: number, b: number, payload: boolean) => {
    const n = b - a;
    if (n === 0) return;
    flushPass();
    if (bufLen + n > buf.length) {
      const bigger = new Uint8Array(Math.max(buf.length * 2, bufLen + n));
      bigger.set(buf.subarray(0, bufLen));
      buf = bigger;
    }
    if (n < 64) { for (let k = 0; k < n; k++) buf[bufLen + k] = chunk[a + k]; }
    else buf.set(chunk.subarray(a, b), bufLen);
    if (payload) {
      if (segs.length && segs[segs.length - 1] === bufLen) segs[segs.length - 1] = bufLen + n;
      else segs.push(bufLen, bufLen + n);
    }
    bufLen += n;
  };

  const put = (chunk: Uint8Array, a: number, b: number) => {
    if (a === b) return;
    if (holding) {
      // Encoded: the cap bounds what is held, chunk framing too (then it goes out as it came)
      if (kind !== Kind.Encoded || bufLen + (b - a) <= MAX_ENCODED_BODY) {
        return hold(chunk, a, b, false);
      }
      overCap();
    }
    if (passIn === chunk && passB === a) {
      passB = b;
      return;
    }
    flushPass();
    outDone();
    passIn = chunk;
    passA = a;
    passB = b;
  };

  const release = () => {
    done = bufLen;
    segs = [];
  };

  /** The held payload, contiguous (a view of `buf` when it is one piece). */
  const payloadOf = (): { bytes: Uint8Array; copied: boolean } => {
    if (segs.length === 2) return { bytes: buf.subarray(segs[0], segs[1]), copied: false };
    if (segs.length === 0) return { bytes: new Uint8Array(0), copied: false };
    let n = 0;
    for (let k = 0; k < segs.length; k += 2) n += segs[k + 1] - segs[k];
    const bytes = new Uint8Array(n);
    for (let k = 0, o = 0; k < segs.length; k += 2) {
      bytes.set(buf.subarray(segs[k], segs[k + 1]), o);
      o += segs[k + 1] - segs[k];
    }
    return { bytes, copied: true };
  };

  const writeBack = (bytes: Uint8Array) => {
    for (let k = 0, o = 0; k < segs.length; k += 2) {
      const n = segs[k + 1] - segs[k];
      buf.set(bytes.subarray(o, o + n), segs[k]);
      o += n;
    }
  };

  /** The held JSON body is complete (or cut): mask it if JSON-RPC, let it out. */
  const endJson = (complete: boolean) => {
    if (segs.length) {
      const p = payloadOf();
      const r = maskJsonRpcPayload(p.bytes, complete);
      if (r === "masked" && p.copied) writeBack(p.bytes);
      if (r !== "none") shared.mcp = true;
    }
    release();
  };

  /**
   * The held encoded request body is complete (or cut): decoded, masked whole (`*`s: it cannot
   * be coded again) if it is JSON-RPC, or if it is cut or cannot be decoded (it may be); else
   * out as it came (an LLM API's request: Codex compresses some with zstd).
   */
  const endEncoded = (complete: boolean) => {
    const p = payloadOf();
    const r = judgeEncodedBody(encoding, p.bytes, complete, counts);
    if (r === "rpc") shared.mcp = true;
    if (r !== "pass") {
      p.bytes.fill(STAR);
      if (p.copied) writeBack(p.bytes);
    }
    release();
  };

  /**
   * The held encoded request would be past MAX_ENCODED_BODY bytes held (its payload and chunk
   * framing): what is held out, its payload as `*`s; the rest of its payload masked as it comes
   * (Kind.Mask), nothing more held; counted.
   */
  const overCap = () => {
    const p = payloadOf();
    p.bytes.fill(STAR);
    if (p.copied) writeBack(p.bytes);
    release();
    holding = false;
    kind = Kind.Mask;
    if (counts) counts.encodedOverCap++;
  };

  /** The held event is complete (or cut): mask its data if a JSON-RPC `message`, let it out. */
  const endEvent = (complete: boolean) => {
    const { bytes, copied } = eventHasJ ? payloadOf() : { bytes: EMPTY, copied: false };
    eventHasJ = false;
    const r = maskSseEvent(bytes, complete);
    if (r !== "none") shared.mcp = true;
    if (r === "masked" && copied) writeBack(bytes);
    release();
  };

  /** The body ends (or is cut): what is held goes out. */
  const endBody = (complete: boolean) => {
    if (holding) {
      if (kind === Kind.Sse) endEvent(complete);
      else if (kind === Kind.Encoded) endEncoded(complete);
      else endJson(complete);
    }
    holding = false;
    kind = Kind.Pass;
  };

  /**
   * An event stream not known to be MCP's goes out as it comes, and its first dispatched event
   * (one with a `data` field) decides: MCP's HTTP+SSE transport sends an `endpoint` event first
   * on its GET stream, so then the rest is scanned; after any other, the rest is passed.
   */
  const probe = (chunk: Uint8Array, a: number, b: number): void => {
    const r = prober.read(chunk, a, b);
    if (r?.endpoint) {
      // MCP's HTTP+SSE stream: every event from here on is looked at
      put(chunk, a, r.at);
      kind = Kind.Sse;
      lineEmpty = true;
      eventHasJ = false;
      return payload(chunk, r.at, b);
    }
    if (r) kind = Kind.Pass;
    put(chunk, a, b);
  };

  const payload = (chunk: Uint8Array, a: number, b: number) => {
    if (kind === Kind.Pass) return put(chunk, a, b);
    if (kind === Kind.Mask) {
      // `*`s cut from a block never written again, ranges never shared: not an array a chunk
      const n = b - a;
      if (starsAt + n > stars.length) {
        stars = new Uint8Array(Math.max(n, 65536)).fill(STAR);
        starsAt = 0;
      }
      starsAt += n;
      return put(stars, starsAt - n, starsAt);
    }
    if (kind === Kind.Encoded) {
      if (bufLen + (b - a) <= MAX_ENCODED_BODY) return hold(chunk, a, b, true);
      overCap();
      return payload(chunk, a, b);
    }
    if (kind === Kind.Json) {
      if (!first.held) {
        const p = first.read(chunk, a, b, scan);
        if (p >= 0) {
          // no JSON-RPC: out with what was held so far and the rest
          hold(chunk, a, p, true);
          release();
          holding = false;
          kind = Kind.Pass;
          return put(chunk, p, b);
        }
      }
      return hold(chunk, a, b, true);
    }
    if (kind === Kind.Probe) return probe(chunk, a, b);
    // Sse: an event ends at an empty line
    // Events go out as views of the input unless they have a `j` or go on past this piece of
    // payload (`holding`: the event is in `buf`, and so is the chunk framing after it).
    let from = a;
    for (let p = a; p < b;) {
      const e = chunk.indexOf(LF, p);
      if (e < 0 || e >= b) {
        if (b - p > 1 || chunk[p] !== CR) lineEmpty = false;
        break;
      }
      if (e - p > 1 || (e - p === 1 && chunk[p] !== CR)) lineEmpty = false;
      p = e + 1;
      if (lineEmpty) {
        if (holding || eventHasJ || hasJ(chunk, from, p)) {
          hold(chunk, from, p, true);
          eventHasJ ||= hasJ(chunk, from, p);
          endEvent(true);
          holding = false;
        } else put(chunk, from, p);
        from = p;
      }
      lineEmpty = true;
    }
    if (from < b) {
      eventHasJ ||= hasJ(chunk, from, b);
      holding = true;
      hold(chunk, from, b, true);
    }
  };

  const bodyStarts = () => {
    // a request's JSON body is always read (its start, at least); an answer's only if scanned
    // encoded (gzip, br, any coding: not read), where it would be scanned: masked whole
    // a request in a coding not decoded here (`foo`) would be masked at its end: masked at once
    kind = encoded
      ? (scan ? Kind.Mask : response ? Kind.Pass : decodable ? Kind.Encoded : Kind.Mask)
      : sse
      ? (scan ? Kind.Sse : Kind.Probe)
      : scan || !response
      ? Kind.Json
      : Kind.Pass;
    holding = kind === Kind.Json || kind === Kind.Encoded; // Sse: while an event is held
    // a JSON body of known length is held whole: room for it at once
    const want = bufLen + (st === St.Body && remaining < MAX_PRESIZE ? remaining : 0);
    if (kind === Kind.Json && scan && want > buf.length) {
      const bigger = new Uint8Array(want);
      bigger.set(buf.subarray(0, bufLen));
      buf = bigger;
    }
    first.reset();
    lineEmpty = true;
    eventHasJ = false;
    prober = new SseEndpointProbe();
  };

  const headEnds = () => {
    start = null;
    st = St.Head;
    if (response) {
      if (status < 200 && status !== 101) return; // interim: the answer is still to come
      const asked = shared.methods.shift();
      // the answer to a request of an MCP connection, or to one not seen (the capture began
      // after it): scanned
      scan = shared.mcp === true || asked === undefined;
      if (status === 101 || (asked === "CONNECT" && status < 300)) {
        st = St.Tunnel;
        return;
      }
      if (status === 204 || status === 304 || asked === "HEAD") return;
    } else {
      if (mcpHeaders) shared.mcp = true;
      scan = shared.mcp === true;
      shared.methods.push(method);
      if (upgrade) {
        // its answer decides; if that is no 101, the next request line finds the way back
        st = St.Lost;
        lostAt(here);
        return;
      }
    }
    if (chunked) {
      st = St.ChunkSize;
      chunkAt = here;
    } else if (contentLength > 0) {
      st = St.Body;
      remaining = contentLength;
    } else if (contentLength < 0 && response) {
      st = St.Body;
      remaining = Infinity;
    } else return;
    bodyStarts();
  };

  const startLine = (l: string) => {
    start = l;
    response = l.startsWith("HTTP/");
    status = response ? Number(l.split(" ")[1]) : 0;
    method = response ? "" : l.split(" ")[0];
    contentLength = -1;
    chunked =
      sse =
      encoded =
      upgrade =
      mcpHeaders =
        false;
    encoding = "";
    decodable = true;
  };

  const onLine = () => {
    const l = line.endsWith("\r") ? line.slice(0, -1) : line;
    line = "";
    switch (st) {
      case St.Lost:
        if (isStartLine(l)) {
          st = St.Head;
          startLine(l);
          log?.starts.push(here);
        }
        return;
      case St.Head: {
        if (start === null) {
          if (isStartLine(l)) {
            startLine(l);
            log?.starts.push(here);
          } else if (l !== "") {
            st = St.Lost; // not where a message begins: find one
            lostAt(lineAt); // the line's bytes too
          }
          return;
        }
        if (l === "") return headEnds();
        const colon = l.indexOf(":");
        if (colon < 0) return;
        const name = l.slice(0, colon).trim().toLowerCase();
        const value = l.slice(colon + 1).trim();
        if (name === "content-length") contentLength = /^\d+$/.test(value) ? Number(value) : -1;
        else if (name === "transfer-encoding") chunked = /chunked/i.test(value);
        else if (name === "content-type") sse = /^text\/event-stream/i.test(value);
        else if (name === "content-encoding") {
          // repeated fields form one list of codings (RFC 9110 §5.3): joined, never replaced;
          // encoded when any coding is not identity
          encoding = encoding === "" ? value : value === "" ? encoding : `${encoding}, ${value}`;
          const codings = parseContentEncoding(encoding);
          encoded = codings.length > 0;
          decodable = codings.every((c) => stageFor(c) !== null);
        } else if (name === "upgrade" && !response) upgrade = true;
        else if (!response && isMcpRequestHeader(name, value)) mcpHeaders = true;
        return;
      }
      case St.Trailer:
        if (l === "") st = St.Head;
        return;
    }
  };

  // the chunk-size line (or the line ending a chunk's data) being read, and where it began (a
  // bad one is where the framing is lost: its own bytes are not followed)
  let chunkSize = 0, sizeDigits = 0, sizeEnded = false, badLine = false, chunkAt = 0;
  /** the bytes of that line so far: past MAX_LINE (extensions and all) it is bad at once */
  let chunkLineLen = 0;
  const resetChunkLine = () => {
    chunkSize = sizeDigits = chunkLineLen = 0;
    sizeEnded = badLine = false;
  };

  const chunkLine = () => {
    const bad = badLine || (st === St.ChunkSize && sizeDigits === 0);
    const size = chunkSize;
    resetChunkLine();
    if (bad) return lose(true, chunkAt);
    chunkAt = here;
    if (st === St.ChunkEnd) st = St.ChunkSize;
    else if (size === 0) {
      endBody(true);
      st = St.Trailer;
    } else {
      st = St.ChunkData;
      remaining = size;
    }
  };

  /** Framing is lost from `at` on: anything held goes out, masked as cut. */
  const lose = (cut: boolean, at = here) => {
    endBody(!cut);
    if (st !== St.Lost) lostAt(at);
    st = St.Lost;
    line = "";
  };

  /**
   * A byte of a chunk-size line (`1a;ext\r`) or of the line ending a chunk's data (`\r`), but
   * its line feed: the size's hex digits (at most 12), then whatever ends them; any other byte
   * makes the line bad.
   */
  const chunkLineByte = (c: number) => {
    if (++chunkLineLen > MAX_LINE) badLine = true;
    else if (st === St.ChunkEnd) {
      if (c !== CR) badLine = true;
    } else if (!sizeEnded) {
      const v = hexValue(c);
      if (v >= 0 && sizeDigits < 12) {
        chunkSize = chunkSize * 16 + v;
        sizeDigits++;
      } else if (c === CR || c === 59 || c === SP || c === HT) sizeEnded = true;
      else badLine = true;
    }
  };

  /**
   * A passed chunked body, chunk after chunk, in one loop (an LLM event stream is mostly tiny
   * chunks): where it stops (the end of `chunk`, or the line after the last chunk or an odd one,
   * which the general loop reads from there).
   */
  const skipChunks = (chunk: Uint8Array, i: number, n: number): number => {
    while (i < n) {
      if (st === St.ChunkData) {
        const k = Math.min(remaining, n - i);
        i += k;
        remaining -= k;
        if (remaining === 0) {
          st = St.ChunkEnd;
          chunkAt = fed + i;
        }
        continue;
      }
      const c = chunk[i];
      if (c === LF) {
        if (badLine || (st === St.ChunkSize && (sizeDigits === 0 || chunkSize === 0))) return i;
        if (st === St.ChunkEnd) st = St.ChunkSize;
        else {
          st = St.ChunkData;
          remaining = chunkSize;
        }
        chunkAt = fed + i + 1;
        resetChunkLine();
      } else {
        chunkLineByte(c);
        if (chunkLineLen > MAX_LINE) return i; // too long: lost there (the general loop)
      }
      i++;
    }
    return i;
  };

  const drain = (): Uint8Array => {
    flushPass();
    outDone();
    const out = pieces.length === 1 ? pieces[0] : concatBytes(pieces);
    pieces = [];
    return out;
  };

  return {
    transform(chunk) {
      jIn = null; // a lent buffer may come again with other bytes
      const n = chunk.length;
      for (let i = 0; i < n;) {
        if (
          kind === Kind.Pass && !holding &&
          (st === St.ChunkData || st === St.ChunkSize || st === St.ChunkEnd)
        ) {
          const j = skipChunks(chunk, i, n);
          put(chunk, i, j);
          if (j > i) {
            i = j;
            continue;
          }
        }
        switch (st) {
          case St.Body:
          case St.ChunkData: {
            const k = Math.min(remaining, n - i);
            payload(chunk, i, i + k);
            i += k;
            remaining -= k;
            if (remaining === 0) {
              if (st === St.Body) {
                endBody(true);
                st = St.Head;
              } else {
                st = St.ChunkEnd;
                chunkAt = fed + i;
              }
            }
            break;
          }
          case St.Tunnel:
            put(chunk, i, n);
            i = n;
            break;
          case St.ChunkSize:
          case St.ChunkEnd: {
            // parsed from the bytes: these short lines come with every chunk
            let e = -1;
            for (let k = i; k < n; k++) {
              const c = chunk[k];
              if (c === LF) {
                e = k;
                break;
              }
              chunkLineByte(c);
              if (chunkLineLen > MAX_LINE) {
                // too long (64 MiB of `;ext`): not followed further, nor held
                put(chunk, i, k + 1);
                here = fed + k + 1;
                resetChunkLine();
                lose(true, chunkAt);
                e = -2;
                i = k + 1;
                break;
              }
            }
            if (e === -2) break;
            put(chunk, i, e < 0 ? n : e + 1);
            i = e < 0 ? n : e + 1;
            here = fed + i;
            if (e >= 0) chunkLine();
            break;
          }
          default: {
            const e = chunk.indexOf(LF, i);
            const end = e < 0 ? n : e;
            if (line.length === 0) lineAt = fed + i;
            if (line.length < MAX_LINE) line += latin1(chunk, i, Math.min(end, i + MAX_LINE));
            put(chunk, i, e < 0 ? n : e + 1);
            i = e < 0 ? n : e + 1;
            here = fed + i;
            if (e >= 0) onLine();
          }
        }
      }
      fed += n;
      if (log) {
        log.open = st === St.ChunkSize || st === St.ChunkEnd
          ? chunkAt
          : st === St.Head && start === null && line.length > 0
          ? lineAt
          : Infinity;
      }
      return drain();
    },
    gap() {
      here = fed;
      lose(true);
      return drain();
    },
    skip(lost) {
      const inBody = st === St.Body || st === St.ChunkData;
      if (kind !== Kind.Pass || holding || !inBody || !(lost < remaining)) return false;
      if (remaining === Infinity) return false; // to the end: as a gap (framing looked for)
      remaining -= lost;
      return true;
    },
    flush() {
      endBody(false);
      return drain();
    },
    watchFraming() {
      const l: FramingLog = {
        from: fed,
        starts: [],
        losses: [],
        open: Infinity,
        stop: () => {
          if (log === l) log = null;
        },
      };
      log = l;
      return l;
    },
    tunnel() {
      if (fed || bufLen) throw new Error("tunnel(): bytes were fed");
      st = St.Tunnel;
    },
    get framed() {
      return st !== St.Lost;
    },
    landing(lost) {
      if (st === St.Tunnel || (st === St.Body && remaining === Infinity)) return "body";
      if (lost === undefined) return "unknown";
      if (st === St.Body) {
        return lost < remaining ? "body" : lost === remaining ? "start" : "unknown";
      }
      // a gap that ends where a chunk's data does lands on the CRLF after it: still the body
      if (st === St.ChunkData) return lost <= remaining ? "body" : "unknown";
      // between messages, at a line's start (a body just ended): the next begins there
      if (st === St.Head && start === null && line === "" && lost === 0) return "start";
      return "unknown";
    },
    get passing() {
      return kind === Kind.Pass && !holding && st !== St.Head && st !== St.Lost &&
        st !== St.Trailer;
    },
  };
}

/** The field name of an SSE line (`data`, `event`, ...), or "" for a comment or no colon. */
function fieldOf(b: Uint8Array, a: number, e: number): string {
  const c = b.subarray(a, e).indexOf(58);
  if (c <= 0) return "";
  return c <= 5 ? latin1(b, a, a + c) : "";
}

/** After `field:`, skip one space, as SSE does. */
function valueStart(b: Uint8Array, v: number, e: number): number {
  return v < e && b[v] === SP ? v + 1 : Math.min(v, e);
}

function latin1(b: Uint8Array, a: number, e: number): string {
  let s = "";
  if (e - a < 64) {
    for (let k = a; k < e; k++) s += String.fromCharCode(b[k]);
    return s;
  }
  for (let k = a; k < e; k += 4096) {
    s += String.fromCharCode.apply(
      null,
      b.subarray(k, Math.min(e, k + 4096)) as unknown as number[],
    );
  }
  return s;
}

/** The value of a hex digit, or -1. */
function hexValue(c: number): number {
  if (c >= 48 && c <= 57) return c - 48;
  const l = c | 32;
  return l >= 97 && l <= 102 ? l - 87 : -1;
}
