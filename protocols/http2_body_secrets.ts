/**
 * Secrets out of the JSON-RPC bodies of one direction of an HTTP/2 connection (MCP over HTTPS
 * when the client negotiates h2: streamable HTTP's POSTs and their JSON or event-stream answers,
 * HTTP+SSE's message events), for the HTTP/2 redactor (`http2_redactor.ts`), which feeds it the
 * decoded header fields of each HEADERS block and the data octets of each DATA frame, and
 * releases its output through a `DataSink`. The HTTP/2 counterpart of `http1_body_secrets.ts`:
 * same rules, per stream instead of per message.
 *
 * Which bodies, by the one rule of `mcp_http_rule.ts`: a request is MCP's by its headers
 * (`Mcp-Session-Id`, `MCP-Protocol-Version`, an `Accept` of JSON and event streams), which makes
 * the connection MCP's (both directions share `Http2Exchanges`), as does a request body holding
 * `"jsonrpc"`. A request's JSON body is read up to its first member: one that is none of
 * JSON-RPC's (`{"model":`) goes through at once, unheld; otherwise (a batch, a JSON-RPC member,
 * any JSON on an MCP connection) it is held until the stream's END_STREAM, then masked by
 * `maskJsonRpcPayload` (JSON-RPC by `isJsonRpcBody`, secrets by `json_secrets.ts`, same
 * length). An answer is scanned on an MCP connection, or when its request was not seen: a JSON
 * body is held to its end, an event stream event by event (`maskSseEvent`); an event stream not
 * scanned is looked at up to its first event (`SseEndpointProbe`), and scanned from there if that
 * was an `endpoint` event. A `content-encoding` other than identity, as HTTP/1 judges it
 * (`judgeEncodedBody`, shared): where the body would be scanned, its DATA masked whole (`*`s, same
 * length); a request's on a connection not yet MCP's held to END_STREAM (at most
 * MAX_ENCODED_BODY, of its own or of the output behind it: past it masked whole, counted in
 * `BodyMaskCounts`), decoded, masked whole if JSON-RPC, cut or undecodable, else let out as it
 * came (one in a coding not decoded here: masked as it comes, unheld); an answer's, as any other
 * answer (an LLM API's, on a connection that sent no JSON-RPC): passed, as the DATA frames come.
 *
 * Holding: a held body's (event's) octets are output as copies whose release the sink delays
 * (`pin`), together with everything after them in the direction (other streams' frames
 * included: the output is one byte stream, same length), until the body ends; then they are
 * masked in place. So frame lengths stay valid, and a body split across DATA frames, TLS
 * records or capture chunks is judged whole.
 *
 * Cut bodies: one reset (RST_STREAM, by either direction: the other one's through
 * `Http2Exchanges.resets`, at this one's next input), unfinished at the end of the stream, held
 * past `maxBodyBuffer` bytes, or holding more than that of the output behind it (a stream gone
 * quiet holds everything after it), cannot be judged whole. It is masked by the JSON secret rule alone,
 * whether or not it shows `"jsonrpc"` yet (stricter than HTTP/1's cut rule: the TypeScript SDK
 * writes `jsonrpc` last): the held part at once, and past the limit the rest of that body
 * (event) through the same streaming masker, unheld. Over-redaction, never under.
 */
import { createJsonSecretMasker, type JsonSecretMasker } from "./json_secrets.ts";
import {
  type BodyMaskCounts,
  judgeEncodedBody,
  maskJsonRpcPayload,
  maskSseEvent,
  MAX_ENCODED_BODY,
} from "./http1_body_secrets.ts";
import { parseContentEncoding, stageFor } from "./content_codings.ts";
import { FirstMemberReader, isMcpRequestHeader, SseEndpointProbe } from "./mcp_http_rule.ts";

/** What the two directions of one connection share. */
export interface Http2Exchanges {
  /** a request on it had MCP's headers, or a JSON body holding `"jsonrpc"` */
  mcp?: boolean;
  /** streams whose request was seen and whose answer's headers were not yet */
  asked: Set<number>;
  /** streams reset (RST_STREAM) by one direction, for the other: the direction that reset them */
  resets?: Map<number, object>;
}

/** Where the body masker's output goes: the redactor's one output stream, in order. */
export interface DataSink {
  /** Out as they are (views may be kept until the output is released). */
  pass(bytes: Uint8Array, a: number, b: number): void;
  /** From here on, nothing is released until `unpin`; returns the pin. */
  pin(): number;
  unpin(pin: number): void;
  /** Out as a copy, to be masked in place before its pin is released; returns the copy. */
  keep(bytes: Uint8Array, a: number, b: number): Uint8Array;
}

export interface Http2BodySecrets {
  /** A decoded field of a HEADERS block (not PUSH_PROMISE) on `streamId`. */
  header(lowercaseName: string, value: string): void;
  /** The HEADERS block on `streamId` is complete. */
  headersEnd(streamId: number, endStream: boolean, sink: DataSink): void;
  /**
   * Whether `streamId`'s body is looked at (held, probed, or its start read): if not, its DATA
   * goes out as it is and only an END_STREAM needs telling (`dataEnd`).
   */
  active(streamId: number): boolean;
  /** Data octets (padding excluded) of a DATA frame on `streamId`. */
  data(streamId: number, bytes: Uint8Array, a: number, b: number, sink: DataSink): void;
  /** A DATA frame ended; with END_STREAM, so did its stream's body. */
  dataEnd(streamId: number, endStream: boolean, sink: DataSink): void;
  /** RST_STREAM in this direction: the stream's body is cut. */
  reset(streamId: number, sink: DataSink): void;
  /**
   * Before each piece of input: bodies of streams the other direction reset, and, if the
   * output held for bodies has grown past the bound (`heldOutput`: bytes from the first pin on;
   * a body whose stream went quiet holds everything after it), every held body, are cut.
   */
  poll(heldOutput: number, sink: DataSink): void;
  /** The end of the direction: every held body goes out, as cut. */
  flush(sink: DataSink): void;
  /** After the redactor failed (its output zeroed): forget everything. */
  abandon(): void;
}

export interface Http2BodySecretsOptions {
  /** Bytes held of one body (event) before it is masked as cut. Default 4 MiB. */
  maxBodyBuffer?: number;
  /** Encoded request bodies held; default MAX_ENCODED_BODY (past it: masked whole, counted). */
  maxEncodedBody?: number;
  /** Where bodies masked whole unjudged are counted (the recording's). */
  counts?: BodyMaskCounts;
}

const enum Kind {
  Json,
  Sse,
  /** an event stream not (yet) known to be MCP's: passed, its first event looked at */
  Probe,
  Pass,
  /** an encoded request body on a connection not (yet) MCP's: held whole, decoded, judged */
  Encoded,
  /** masked whole as it comes: encoded where it would be scanned, or an Encoded one cut */
  Mask,
}

interface Body {
  kind: Kind;
  scan: boolean;
  first: FirstMemberReader | null;
  probe: SseEndpointProbe | null;
  held: Uint8Array[];
  heldLen: number;
  pin: number;
  /** Sse: the line being read has had nothing but CR */
  lineEmpty: boolean;
  /** past the limit: the rest of this body (event) goes through it, unheld */
  stream: JsonSecretMasker | null;
  /** Encoded: its content codings */
  coding: string;
}

const LF = 10, CR = 13, STAR = 0x2a;

/** The body masker of one direction; `shared` is the connection's (both directions'). */
export function createHttp2BodySecrets(
  shared: Http2Exchanges = { asked: new Set() },
  options: Http2BodySecretsOptions = {},
): Http2BodySecrets {
  const maxBody = options.maxBodyBuffer ?? 4 << 20;
  const maxEncoded = options.maxEncodedBody ?? MAX_ENCODED_BODY;
  const counts = options.counts;
  const bodies = new Map<number, Body>();
  const me = {}; // this direction, in `shared.resets`
  // the HEADERS block being decoded
  let method = "", status = -1, sse = false, encoding = "", mcpHeaders = false;

  const hold = (s: Body, bytes: Uint8Array, a: number, b: number, sink: DataSink) => {
    if (a === b) return;
    if (s.held.length === 0) s.pin = sink.pin();
    s.held.push(sink.keep(bytes, a, b));
    s.heldLen += b - a;
    if (s.kind === Kind.Encoded) {
      if (s.heldLen <= maxEncoded) return;
      if (counts) counts.encodedOverCap++;
    } else if (s.heldLen <= maxBody) return;
    cut(s, sink, true);
  };

  /** `n` data octets out as `*`s */
  const stars = (n: number, sink: DataSink) => {
    if (n > 0) sink.pass(new Uint8Array(n).fill(STAR), 0, n);
  };

  const heldBytes = (s: Body): Uint8Array => {
    if (s.held.length === 1) return s.held[0];
    const all = new Uint8Array(s.heldLen);
    let o = 0;
    for (const h of s.held) (all.set(h, o), o += h.length);
    return all;
  };

  const release = (s: Body, bytes: Uint8Array | null, sink: DataSink) => {
    if (bytes && bytes !== s.held[0]) {
      let o = 0;
      for (const h of s.held) (h.set(bytes.subarray(o, o + h.length)), o += h.length);
    }
    if (s.held.length) sink.unpin(s.pin);
    s.held = [];
    s.heldLen = 0;
  };

  /** The held body (event) is complete: masked if JSON-RPC, released. */
  const endHeld = (s: Body, sink: DataSink) => {
    if (!s.held.length) return;
    const bytes = heldBytes(s);
    const r = s.kind === Kind.Sse ? maskSseEvent(bytes, true) : maskJsonRpcPayload(bytes, true);
    if (r !== "none") shared.mcp = true;
    release(s, r === "masked" ? bytes : null, sink);
  };

  /** The held body (event) is cut: masked by the JSON rule alone; `goOn`: so is its rest. */
  const cut = (s: Body, sink: DataSink, goOn: boolean) => {
    if (s.kind === Kind.Encoded) {
      // unjudged: masked whole, and its rest as it comes
      if (s.held.length) {
        for (const h of s.held) h.fill(STAR);
        release(s, null, sink);
      }
      if (goOn) s.kind = Kind.Mask;
      return;
    }
    const m = createJsonSecretMasker();
    if (s.held.length) {
      const bytes = heldBytes(s);
      const masked = m.transform(bytes);
      release(s, masked === bytes ? null : masked, sink);
    }
    s.stream = goOn ? m : null;
  };

  const streamed = (s: Body, bytes: Uint8Array, a: number, b: number, sink: DataSink) => {
    const part = bytes.subarray(a, b);
    const masked = s.stream!.transform(part);
    if (masked === part) sink.pass(bytes, a, b);
    else sink.pass(masked, 0, masked.length);
  };

  const events = (s: Body, bytes: Uint8Array, a: number, b: number, sink: DataSink) => {
    // an event ends at an empty line
    let from = a;
    for (let p = a; p < b;) {
      const e = bytes.indexOf(LF, p);
      if (e < 0 || e >= b) {
        if (b - p > 1 || bytes[p] !== CR) s.lineEmpty = false;
        break;
      }
      if (e - p > 1 || (e - p === 1 && bytes[p] !== CR)) s.lineEmpty = false;
      p = e + 1;
      if (s.lineEmpty) {
        if (s.stream) {
          streamed(s, bytes, from, p, sink);
          s.stream = null;
        } else {
          hold(s, bytes, from, p, sink);
          if (s.stream) s.stream = null; // cut just now, at its very end
          else endHeld(s, sink);
        }
        from = p;
      }
      s.lineEmpty = true;
    }
    if (from < b) {
      if (s.stream) streamed(s, bytes, from, b, sink);
      else hold(s, bytes, from, b, sink);
    }
  };

  const endBody = (id: number, s: Body, complete: boolean, sink: DataSink) => {
    bodies.delete(id);
    if (!s.held.length) return;
    if (s.kind === Kind.Encoded) {
      const r = judgeEncodedBody(s.coding, heldBytes(s), complete, counts);
      if (r === "rpc") shared.mcp = true;
      if (r === "pass") release(s, null, sink);
      else cut(s, sink, false);
      return;
    }
    // an unfinished event, a body cut short: the cut rule
    if (complete && s.kind === Kind.Json) endHeld(s, sink);
    else cut(s, sink, false);
  };

  return {
    header(name, value) {
      if (name === ":method") method = value;
      else if (name === ":status") status = Number(value);
      else if (name === "content-type") sse = /^text\/event-stream/i.test(value);
      else if (name === "content-encoding") {
        // repeated fields form one list of codings (RFC 9110 §5.3), as HTTP/1 reads them
        encoding = encoding === "" ? value : value === "" ? encoding : `${encoding}, ${value}`;
      } else if (isMcpRequestHeader(name, value)) mcpHeaders = true;
    },

    headersEnd(id, endStream, sink) {
      const isRequest = method !== "", st = status, isSse = sse, coding = encoding;
      const codings = coding === "" ? [] : parseContentEncoding(coding);
      const isEncoded = codings.length > 0;
      // a coding not decoded here (`foo`) would be masked at its end: masked at once, unheld
      const decodable = codings.every((c) => stageFor(c) !== null);
      const isMcp = mcpHeaders;
      method = encoding = "";
      status = -1;
      sse = mcpHeaders = false;
      let kind: Kind, scan: boolean;
      if (isRequest) {
        if (isMcp) shared.mcp = true;
        shared.asked.add(id);
        scan = shared.mcp === true;
        kind = isEncoded ? (scan || !decodable ? Kind.Mask : Kind.Encoded) : Kind.Json;
      } else if (st >= 200) {
        // the answer to a request of an MCP connection, or to one not seen: scanned
        scan = shared.mcp === true || !shared.asked.delete(id);
        kind = isEncoded
          ? (scan ? Kind.Mask : Kind.Pass)
          : isSse
          ? (scan ? Kind.Sse : Kind.Probe)
          : scan
          ? Kind.Json
          : Kind.Pass;
      } else {
        if (st < 0 && endStream) {
          const s = bodies.get(id); // trailers: the body has ended
          if (s) endBody(id, s, true, sink);
        }
        return; // an interim answer, or trailers
      }
      // a second head on a stream whose body is held (a protocol error): that body is cut, its
      // pin let go (else everything after it in this direction would be held to the end)
      const was = bodies.get(id);
      if (was) endBody(id, was, false, sink);
      if (endStream || kind === Kind.Pass) return;
      bodies.set(id, {
        kind,
        scan,
        first: kind === Kind.Json ? new FirstMemberReader() : null,
        probe: kind === Kind.Probe ? new SseEndpointProbe() : null,
        held: [],
        heldLen: 0,
        pin: -1,
        lineEmpty: true,
        stream: null,
        coding,
      });
    },

    active(id) {
      return bodies.size > 0 && bodies.has(id);
    },

    data(id, bytes, a, b, sink) {
      const s = bodies.get(id);
      if (s === undefined) return sink.pass(bytes, a, b);
      if (s.kind === Kind.Mask) return stars(b - a, sink);
      if (s.kind === Kind.Encoded) return hold(s, bytes, a, b, sink);
      if (s.stream && s.kind === Kind.Json) return streamed(s, bytes, a, b, sink);
      if (s.kind === Kind.Json) {
        if (!s.first!.held) {
          const p = s.first!.read(bytes, a, b, s.scan);
          if (p >= 0) {
            // no JSON-RPC: out with what was held so far, and the rest as it comes
            release(s, null, sink);
            bodies.delete(id);
            return sink.pass(bytes, a, b);
          }
        }
        return hold(s, bytes, a, b, sink);
      }
      if (s.kind === Kind.Probe) {
        const r = s.probe!.read(bytes, a, b);
        if (!r?.endpoint) {
          if (r) bodies.delete(id); // no MCP stream: passed from here on
          return sink.pass(bytes, a, b);
        }
        // MCP's HTTP+SSE stream: every event from here on is looked at
        sink.pass(bytes, a, r.at);
        s.kind = Kind.Sse;
        s.probe = null;
        return events(s, bytes, r.at, b, sink);
      }
      events(s, bytes, a, b, sink);
    },

    dataEnd(id, endStream, sink) {
      if (!endStream) return;
      const s = bodies.get(id);
      if (s) endBody(id, s, true, sink);
    },

    reset(id, sink) {
      (shared.resets ??= new Map()).set(id, me);
      const s = bodies.get(id);
      if (s) endBody(id, s, false, sink);
    },

    poll(heldOutput, sink) {
      if (shared.resets?.size) {
        for (const [id, by] of shared.resets) {
          if (by === me) continue;
          shared.resets.delete(id);
          const s = bodies.get(id);
          if (s) endBody(id, s, false, sink);
        }
      }
      if (heldOutput > maxBody) {
        for (const s of bodies.values()) {
          // an encoded body is held to its own bound (its output too)
          if (s.kind === Kind.Encoded && heldOutput <= maxEncoded) continue;
          if (!s.held.length) continue;
          // an encoded one is masked whole unjudged, as one past its own cap: counted
          if (s.kind === Kind.Encoded && counts) counts.encodedOverCap++;
          cut(s, sink, true);
        }
      }
    },

    flush(sink) {
      for (const [id, s] of [...bodies]) endBody(id, s, false, sink);
    },

    abandon() {
      bodies.clear();
    },
  };
}
