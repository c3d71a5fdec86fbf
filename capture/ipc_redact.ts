/**
 * Secrets out of the ipc bytes before they are written, same length (so stream offsets stay
 * true), one stream (inode, direction) at a time, in call order:
 *
 * - JSON-RPC on pipes and unix sockets (MCP's stdio transport): string values of secret-named
 *   keys in every JSON value of the stream — `initialize` and its answer, every later
 *   `tools/call` and answer, newline-delimited or `Content-Length`-framed — by the rule of
 *   `protocols/json_secrets.ts`, which the analysis applies to `mcp_messages` too.
 * - `tcp`, HTTP/1 (on loopback or not): secret header values (Authorization, cookies, API keys,
 *   Mcp-Session-Id: `protocols/secret_headers.ts`) by the capture's HTTP/1 redactor, as for
 *   TLS; the value of a `sessionId=` URL parameter, where MCP's HTTP+SSE transport puts
 *   its session (the `endpoint` event's URL and every POST to it), up to `&`, a blank or a
 *   quote, as its keyed digest (protocols/session_digest.ts); and the same JSON keys' values in every JSON-RPC body and event-stream message of
 *   every request and answer on the connection (keep-alive, chunked, SSE), by the body masker
 *   the TLS streams use (`protocols/http1_body_secrets.ts`, judged by
 *   `protocols/mcp_http_rule.ts`): an LLM API's bodies on the same machine or the LAN go
 *   through as they come, not parsed, and are not masked (as over TLS).
 * - `tcp`, cleartext HTTP/2 (h2c with prior knowledge: gRPC, an OTLP/gRPC exporter sending
 *   `authorization` to a local collector, an MCP server over HTTP/2): the same header values
 *   in HPACK blocks and `sessionId=` in `:path` and DATA, by the HTTP/2 redactor (the
 *   factory the capture hands the TLS streams, tls_streams.ts). A socket's two directions
 *   are one connection (one inode); as for TLS, the first bytes decide for both: the client's
 *   preface (`PRI * HTTP/2.0...`), or the server's SETTINGS frame (it writes that before it
 *   reads the preface), make the connection HTTP/2, anything else HTTP/1. A stream's first
 *   bytes are held until they can decide (24 bytes at most: a preface cut between calls), and
 *   go on as HTTP/1 as soon as they cannot be the start of either.
 * - The h2c upgrade (HTTP/1.1 `Upgrade: h2c`, a `101` answer, then HTTP/2): after the head of a
 *   `101` that a stream begins with — after any number of interim `1xx` responses (RFC 9110
 *   15.2: `100 Continue` to an `Expect: 100-continue`, `103 Early Hints`) — that direction
 *   decides again, and so does the other direction of the socket at its next byte (the client
 *   sends its preface after the `101`): HTTP/2 if they start as above, else HTTP/1 again (a
 *   WebSocket upgrade).
 *
 * - `tcp`, a connection joined under way (its first bytes no request or status line, no
 *   preface or SETTINGS: protocols/stream_start.ts, as for TLS, its first bytes held until
 *   they tell): it starts with a gap of unknown landing (below); bytes that may be HTTP/2
 *   frames withhold every direction of the connection; WebSocket frames from the first byte
 *   (a WebSocket joined after its upgrade: protocols/websocket_start.ts; its frames checked to
 *   the end, a break or gap ending the tunnel: blind after it, never raw) are a tunnel from
 *   the start, as after a `101`.
 *
 * A redactor that holds bytes back (an HTTP/2 header block split across calls, a start not yet
 * decided) delays the calls it covers, in order, never splits or merges them. After a gap (a
 * call missing before this one, this one cut, or a hole inside it: a chunk lost or unreadable,
 * taken where it is, its zeros written as they are), the HTTP/1 redactor masks the rest of the
 * line it lands in unless the framing places it in a body or at a message's start, resumes at
 * the next line and the JSON masker masks everything but punctuation until a line
 * that surely starts a JSON-RPC message (json_secrets.ts); on `tcp`, where the body masker has
 * lost the framing, a held body goes out masked as cut and the JSON masker (blind, then
 * masking every JSON value) runs until a request or status line, which goes through
 * (protocols/gap_json_masker.ts), and the body masker follows the framing again; an
 * HTTP/2 direction cannot find its frames again, so the rest of it is not recorded (its
 * calls are written empty, their bytes counted in `lost` and, but their holes, in `withheld`:
 * stream_damage.ts), as for TLS. `--keep-secrets` turns
 * it all off.
 */
import { createJsonSecretMasker, type JsonSecretMasker } from "../protocols/json_secrets.ts";
import { createGapJsonMasker, type GapJsonMasker } from "../protocols/gap_json_masker.ts";
import {
  HTTP2_PREFACE,
  startsWithHttp2Preface,
  startsWithHttp2Settings,
} from "../protocols/http2_frame.ts";
import type { BodySecretMasker, Http1Exchanges } from "../protocols/http1_body_secrets.ts";
import { afterGap, type Http1Redactor, type ParamRedactor, type StreamRedactor } from "./redact.ts";
import { createSessionDigest, type SessionDigest } from "../protocols/session_digest.ts";
import {
  gapPlan,
  type StreamStart,
  StreamStartJudge,
  webSocketSideOf,
} from "../protocols/stream_start.ts";
import { type WebSocketSide, WebSocketStart } from "../protocols/websocket_start.ts";
import { type H2RedactorFactory, http1Redactors, takeOut } from "./tls_streams.ts";
import type { Http2Exchanges } from "../protocols/http2_body_secrets.ts";
import type { BodyMaskCounts } from "../protocols/http1_body_secrets.ts";

/** What the redactor needs of a call (ipc_streams.ts's IpcCall); `data` and `lost` are set. */
export interface RedactableCall {
  inode: bigint;
  dir: 0 | 1;
  kind: string;
  streamOff: bigint;
  total: number;
  data: Uint8Array;
  truncated: boolean;
  lost: number;
  /** where `data`'s holes are, when it has any: [start, end) offsets, in order */
  holes?: number[];
  /** set when the call is written empty: its bytes but its holes, withheld */
  withheld?: number;
}

type Proto = "h1" | "h2";

interface Conn {
  proto?: Proto;
  dirs: (Stream | undefined)[];
  /** HTTP/2: what its two directions' redactors share (which streams are MCP's) */
  h2?: Http2Exchanges;
  /** HTTP/1: what its two directions' body maskers share (methods asked, MCP's or not) */
  h1?: Http1Exchanges;
  /** HTTP/2 frames joined mid-stream: every direction withheld */
  withheld?: boolean;
  /** the side a direction judged WebSocket frames at its start was (the other must be the other) */
  wsSide?: WebSocketSide;
}

interface Stream {
  conn?: Conn;
  dir: 0 | 1;
  /** pipes and unix sockets: every byte */
  json: JsonSecretMasker;
  /**
   * tcp: from a gap until a start line has gone through and the body masker follows the
   * framing again: the JSON masker, blind, a start line let through (gap_json_masker.ts)
   */
  jsonAfterGap?: GapJsonMasker;
  /** tcp: undefined while the first bytes (or those after a 101) decide */
  proto?: Proto;
  /** deciding at the stream's start: the connection's protocol, once known, decides */
  adopt: boolean;
  /** the undecided bytes so far (their first 24 are what decides) */
  head: Uint8Array;
  headLen: number;
  pend: Uint8Array[];
  http?: Http1Redactor;
  param?: ParamRedactor;
  /** tcp HTTP/1: secrets in JSON-RPC bodies */
  body?: BodySecretMasker;
  h2?: StreamRedactor;
  /** h2: input kept until the redactor's code has loaded */
  h2Wait?: Uint8Array[];
  /**
   * HTTP/1: bytes of a `HTTP/1.1 1xx` status line matched at the start of a response, the
   * stream's first or one after interim 1xx responses (-1: not a 1xx, or done)
   */
  status: number;
  /** the status code's last two digits matched so far (1: a 101) */
  code: number;
  /** after a 1xx start: bytes of the blank line that ends its head matched */
  eoh: number;
  /** where the next call should start */
  next: bigint;
  /** calls whose redacted bytes are not all out yet */
  queue: RedactableCall[];
  out: Uint8Array[];
  outLen: number;
  /** h2 after a gap (or without its code): nothing more is recorded */
  dead: boolean;
  /**
   * tcp: the bytes held, once its protocol is known, while its first bytes show whether they
   * are a start (protocols/stream_start.ts); undefined once judged
   */
  startHeld?: Uint8Array[];
  /** what decides it, fed those bytes (made once its protocol is known) */
  judge?: StreamStartJudge;
  /**
   * tcp: judged WebSocket frames joined after their upgrade (a tunnel): their check, fed every
   * later byte; at a break or a gap the stream falls back to a gap of unknown landing
   */
  ws?: WebSocketStart;
}

/** a 1xx status line's start: two digits follow */
const STATUS_1XX = new TextEncoder().encode("HTTP/1.1 1");
const DIGIT_0 = 48, DIGIT_9 = 57;
const CR = 13, LF = 10;

export class IpcRedactor<C extends RedactableCall = RedactableCall> {
  #streams = new Map<string, Stream>();
  #conns = new Map<bigint, Conn>();
  #h2: H2RedactorFactory | undefined;
  #emit: (call: C) => void;
  /** the recording's keyed digest of session ids (its key in memory only) */
  #digest: SessionDigest;
  /** bodies masked whole unjudged (an encoded request past a cap), for the warnings */
  #counts: BodyMaskCounts | undefined;

  /**
   * `h2Redactor`: the HTTP/2 redactor's factory (without one, HTTP/2 goes through the HTTP/1
   * redactor, as in tls_streams.ts). `digest`: the recording's (default: a fresh key, this
   * object's: one per recording). `counts`: where the body maskers count what they mask whole
   * unjudged. `emit` gets each call, its data redacted, in order.
   */
  constructor(
    opts: { h2Redactor?: H2RedactorFactory; digest?: SessionDigest; counts?: BodyMaskCounts },
    emit: (call: C) => void,
  ) {
    this.#h2 = opts.h2Redactor;
    this.#counts = opts.counts;
    this.#emit = emit;
    this.#digest = opts.digest ?? createSessionDigest();
  }

  /** A call, in call order; it is emitted (now or later) with its data redacted. */
  push(call: C): void {
    const key = `${call.inode}:${call.dir}`;
    let s = this.#streams.get(key);
    if (!s) {
      s = this.#newStream(call);
      this.#streams.set(key, s);
    }
    // the bytes between the last call and this one are lost (how many: the stream offsets)
    if (call.streamOff !== s.next) this.#gap(s, Number(call.streamOff - s.next));
    s.next = call.streamOff + BigInt(call.total);
    if (s.conn?.withheld && !s.dead) this.#kill(s);
    if (s.dead) {
      this.#lose(call);
      return;
    }
    s.queue.push(call);
    const cut = call.total - call.data.length;
    if (call.holes?.length) return this.#holes(s, call, cut);
    this.#feed(s, call.data);
    this.#drain(s);
    // the bytes a cut call did not keep
    if (call.truncated || call.lost > 0) this.#gap(s, cut);
  }

  /**
   * A call with holes (zero-filled, places kept): the bytes between them through the
   * redactors, each hole a gap of its length (one at the end joins the `cut` bytes not kept),
   * its zeros written as they are; an HTTP/2 direction stops at the first (#gap).
   */
  #holes(s: Stream, call: C, cut: number): void {
    const { data, holes = [] } = call;
    let at = 0;
    for (let k = 0; k < holes.length && !s.dead; k += 2) {
      const [a, b] = [holes[k], holes[k + 1]];
      if (a > at) this.#feed(s, data.subarray(at, a));
      this.#drain(s);
      this.#gap(s, b - a + (b === data.length ? cut : 0));
      if (s.dead) return;
      this.#put(s, new Uint8Array(b - a)); // #gap let out all that was held
      at = b;
    }
    if (at < data.length) this.#feed(s, data.subarray(at));
    this.#drain(s);
    if (!s.dead && (call.truncated || cut > 0) && at < data.length) this.#gap(s, cut);
  }

  /** Hands out everything still held (the end of the capture). */
  finish(): void {
    for (const s of this.#streams.values()) {
      if (s.dead) continue;
      if (s.proto === undefined) this.#decide(s, "h1"); // never a whole preface
      this.#settleStart(s, true);
      if (s.dead) continue;
      if (s.proto === "h2") {
        if (!s.h2 || s.h2Wait) {
          this.#kill(s);
          continue;
        }
        this.#put(s, s.h2.flush());
        this.#drain(s);
        this.#kill(s); // anything still queued could not be redacted: withheld
      } else {
        // a session id the stream ended inside (as `*`s), then what the body masker held
        const rest = s.http?.flush();
        if (rest?.length) this.#putH1(s, this.#h1After(s, rest));
        const param = s.param?.flush();
        if (param?.length) this.#putH1(s, s.body ? s.body.transform(param) : param);
        if (s.body) this.#putH1(s, s.body.flush());
        if (s.jsonAfterGap) this.#put(s, s.jsonAfterGap.flush());
        this.#drain(s);
      }
    }
  }

  #newStream(call: RedactableCall): Stream {
    const tcp = call.kind === "tcp";
    let conn: Conn | undefined;
    if (tcp) {
      conn = this.#conns.get(call.inode);
      if (!conn) this.#conns.set(call.inode, conn = { dirs: [] });
    }
    const s: Stream = {
      conn,
      dir: call.dir,
      json: createJsonSecretMasker(),
      proto: tcp ? undefined : "h1",
      adopt: true,
      head: new Uint8Array(HTTP2_PREFACE.length),
      headLen: 0,
      pend: [],
      status: tcp ? 0 : -1,
      code: 0,
      eoh: 0,
      // a first call past 0: the recorded calls before it were lost (a gap, however the
      // stream began before the capture saw it)
      next: 0n,
      startHeld: tcp ? [] : undefined,
      queue: [],
      out: [],
      outLen: 0,
      dead: false,
    };
    conn?.dirs.push(s);
    return s;
  }

  /** The next input bytes of a stream, through its redactors; switches where a 101 ends. */
  #feed(s: Stream, b: Uint8Array): void {
    if (s.ws && b.length) {
      // a joined WebSocket's frames checked to the end: at a break the tunnel ends, these
      // bytes on after a gap of unknown landing (blind), never raw
      s.ws.push(b);
      if (s.ws.broken) {
        this.#untunnel(s);
        this.#gap(s, -1);
      }
    }
    while (b.length && !s.dead) {
      if (s.proto === undefined) {
        s.pend.push(b);
        const k = Math.min(b.length, s.head.length - s.headLen);
        s.head.set(b.subarray(0, k), s.headLen);
        s.headLen += k;
        const p = this.#decision(s);
        if (p) this.#decide(s, p);
        return;
      }
      if (s.startHeld) {
        // held until its first bytes show whether they are a start
        s.startHeld.push(b);
        s.judge?.push(b);
        this.#settleStart(s, false);
        return;
      }
      if (s.proto === "h2") {
        if (!s.h2 && !s.h2Wait) this.#startH2(s);
        if (s.h2Wait) s.h2Wait.push(b);
        else if (s.h2) this.#put(s, s.h2.transform(b));
        else continue; // no HTTP/2 redactor: HTTP/1 after all
        return;
      }
      const cut = s.status >= 0 ? this.#after101(s, b) : b.length;
      let part = b.subarray(0, cut);
      if (s.http) part = s.http.transform(part);
      if (s.param) part = s.param.transform(part);
      this.#putH1(s, s.body ? s.body.transform(part) : part);
      b = b.subarray(cut);
      if (s.status === -2) { // a 101's head has ended here: both directions decide again
        s.status = -1;
        for (const d of s.conn!.dirs) {
          if (d && d.proto === "h1" && !d.dead) {
            d.proto = undefined;
            d.adopt = false;
            d.headLen = 0;
          }
        }
      }
    }
  }

  /**
   * A tcp stream's start judged from the bytes it held (`end`: no more are to come before a
   * loss or the end): they go on as they are, or after a gap of unknown landing where they are
   * no proven start, or are withheld, with every direction of the connection, where they may
   * be HTTP/2 frames joined mid-stream (never read as HTTP/1).
   */
  #settleStart(s: Stream, end: boolean): void {
    if (!s.startHeld || s.proto === undefined || s.dead) return;
    const held = s.startHeld;
    if (!s.judge) {
      s.judge = new StreamStartJudge(s.proto);
      for (const b of held) s.judge.push(b);
    }
    const start: StreamStart | undefined = held.some((b) => b.length) || end
      ? s.judge.verdict(end, s.conn?.wsSide)
      : undefined;
    if (!start) return;
    const judge = s.judge;
    s.startHeld = undefined;
    s.judge = undefined;
    if (start === "frames") {
      s.conn!.withheld = true;
      for (const d of s.conn!.dirs) if (d && !d.dead) this.#kill(d);
      return;
    }
    if (start === "gap") this.#gap(s, -1);
    const ws = webSocketSideOf(start);
    if (ws) {
      // WebSocket frames joined after their upgrade: a tunnel from the start, as after a 101
      s.conn!.wsSide = ws;
      s.body?.tunnel();
    }
    for (const b of held) this.#feed(s, b);
    this.#drain(s);
    // its frames checked on (the held bytes were fed to the judge already)
    if (ws && s.body && !s.dead) s.ws = judge.webSocket;
  }

  /**
   * A joined stream taken as WebSocket whose frames broke (or were lost): what its redactors
   * held goes out, and fresh ones take the rest (after the gap the caller takes), never raw.
   */
  #untunnel(s: Stream): void {
    s.ws = undefined;
    const rest = s.http?.flush();
    if (rest?.length) this.#putH1(s, this.#h1After(s, rest));
    const param = s.param?.flush();
    if (param?.length) this.#putH1(s, s.body ? s.body.transform(param) : param);
    if (s.body) this.#putH1(s, s.body.flush());
    this.#startH1(s);
  }

  /** HTTP/2 or HTTP/1 from a stream's undecided bytes, or undefined: more are needed. */
  #decision(s: Stream): Proto | undefined {
    if (s.adopt && s.conn?.proto) return s.conn.proto;
    const head = s.head.subarray(0, s.headLen);
    if (startsWithHttp2Preface(head, true)) {
      return head.length === HTTP2_PREFACE.length ? "h2" : undefined;
    }
    const settings = startsWithHttp2Settings(head);
    return settings === 1 ? "h2" : settings === -1 ? undefined : "h1";
  }

  /** Sets a stream's protocol and feeds it what it held; at the start, the connection's too. */
  #decide(s: Stream, p: Proto): void {
    s.proto = p;
    if (p === "h1") this.#startH1(s);
    const pend = s.pend;
    s.pend = [];
    s.headLen = 0;
    for (const b of pend) this.#feed(s, b);
    this.#drain(s);
    const conn = s.conn;
    if (!conn || !s.adopt || conn.proto) return;
    conn.proto = p;
    for (const d of conn.dirs) {
      if (d && d !== s && d.adopt && d.proto === undefined && d.headLen) this.#decide(d, p);
    }
  }

  /**
   * HTTP/1 with a 101 to look for: how much of `b` is before the switch (all of it if none
   * here). Sets `status` to -2 where the 101's head ends, -1 once it cannot be a 101. An
   * interim 1xx (no body) is passed over: the next response, right after its head, is looked
   * at the same way.
   */
  #after101(s: Stream, b: Uint8Array): number {
    let i = 0;
    while (i < b.length) {
      for (; i < b.length && s.status >= 0 && s.status < STATUS_1XX.length + 2; i++) {
        const c = b[i];
        if (s.status < STATUS_1XX.length) {
          s.status = c === STATUS_1XX[s.status] ? s.status + 1 : -1;
        } else if (c >= DIGIT_0 && c <= DIGIT_9) {
          s.code = s.code * 10 + c - DIGIT_0;
          s.status++;
        } else s.status = -1;
      }
      if (s.status < 0) return b.length;
      for (; i < b.length; i++) {
        const c = b[i];
        s.eoh = c === (s.eoh & 1 ? LF : CR) ? s.eoh + 1 : c === CR ? 1 : 0;
        if (s.eoh !== 4) continue;
        i++;
        s.eoh = 0;
        if (s.code === 1) {
          s.status = -2;
          return i;
        }
        s.status = 0; // an interim response: the next one (another 1xx, or the final) follows
        s.code = 0;
        break;
      }
    }
    return b.length;
  }

  /** A tcp direction's HTTP/1 redactors (anew after a 101 that was no h2c upgrade). */
  #startH1(s: Stream): void {
    [s.http, s.param, s.body] = http1Redactors(
      s.conn ? (s.conn.h1 ??= { methods: [] }) : undefined,
      this.#digest,
      this.#counts,
    );
  }

  /** Bytes the header redactor let out, through the `sessionId=` and body maskers. */
  #h1After(s: Stream, bytes: Uint8Array): Uint8Array {
    const p = s.param ? s.param.transform(bytes) : bytes;
    return s.body ? s.body.transform(p) : p;
  }

  /** HTTP/1 or JSON bytes out, through the JSON masker where it applies. */
  #putH1(s: Stream, b: Uint8Array): void {
    if (!s.body) return this.#put(s, s.json.transform(b));
    if (!s.jsonAfterGap) return this.#put(s, b);
    this.#put(s, s.jsonAfterGap.transform(b));
  }

  #startH2(s: Stream): void {
    const h2 = this.#h2;
    if (!h2) { // no HTTP/2 redactor given: as tls_streams.ts, the HTTP/1 one
      s.proto = "h1";
      this.#startH1(s);
      return;
    }
    const shared = s.conn ? (s.conn.h2 ??= { asked: new Set() }) : undefined;
    s.h2 = h2(shared, this.#digest, this.#counts);
    if (s.h2) return;
    s.h2Wait = [];
    const replay = () => {
      const wait = s.h2Wait ?? [];
      s.h2Wait = undefined;
      if (s.dead) return;
      s.h2 = h2(shared, this.#digest, this.#counts);
      if (!s.h2) return this.#kill(s); // its code could not be loaded: never write these bytes
      for (const b of wait) this.#put(s, s.h2.transform(b));
      this.#drain(s);
    };
    (h2.ready?.() ?? Promise.resolve()).then(replay, replay);
  }

  /**
   * Redacted bytes out. An HTTP/2 redactor's may be views of its input: an ipc call's data is
   * its own (ipc_streams.ts) and never written to, so they can be kept.
   */
  #put(s: Stream, b: Uint8Array): void {
    if (!b.length) return;
    s.out.push(b);
    s.outLen += b.length;
  }

  /** Emits the queued calls whose bytes are all out. */
  #drain(s: Stream): void {
    while (s.queue.length && s.outLen >= s.queue[0].data.length) {
      const call = s.queue.shift()!;
      call.data = takeOut(s, call.data.length);
      this.#emit(call as C);
    }
  }

  /** A gap of `lost` bytes (by the stream offsets) before what comes next. */
  #gap(s: Stream, lost: number): void {
    if (s.dead) return;
    // bytes held at the start, a loss after them: judged as they are; none: the gap is the start
    if (s.startHeld?.length) this.#settleStart(s, true);
    s.startHeld = undefined;
    s.judge = undefined;
    if (s.dead) return;
    // a joined WebSocket's frames: checked afresh from the next byte (frames of the same side);
    // they break where the gap landed inside a frame, and the tunnel ends there (#feed)
    if (s.proto === "h1" && s.ws) s.ws = new WebSocketStart(s.ws.side);
    if (s.proto === "h1") {
      // a session id cut by the gap: held until now, it goes out (as `*`s) before the gap
      const held = s.http ? afterGap(s.http) : new Uint8Array(0);
      if (held.length) this.#putH1(s, this.#h1After(s, held));
      // a `sessionId=` value cut by the gap, held until now: out as `*`s (its rest after the
      // gap masked too, to a byte that ends a value)
      const param = s.param?.cut();
      if (param?.length) this.#putH1(s, s.body ? s.body.transform(param) : param);
      // the line the gap lands in is masked unless the framing places it in a body or at a
      // message's start
      const landing = s.body?.landing(lost < 0 ? undefined : lost);
      if (s.http && landing) s.http.land(landing);
      if (s.body) {
        // at a message's start its start line comes next (the body masker finds it again);
        // inside a body it lets through (an LLM API's), on a connection not MCP's: the bytes
        // after the gap go through too, as over TLS, until the next request or status line
        // inside a body it lets through, of known length, the lost bytes counted, the framing
        // goes on past them (the next message may begin right after it, no line end before)
        const { blind, skipped } = gapPlan(
          landing!,
          lost < 0 ? undefined : lost,
          s.body,
          s.jsonAfterGap?.following,
          s.conn?.h1?.mcp,
        );
        if (!skipped) this.#putH1(s, s.body.gap()); // what it held: bytes from before the gap
        this.#jsonGap(s);
        if (!blind) {
          // at a message's start, or inside a body it lets through with the framing followed:
          // the bytes after the gap as before any
          s.jsonAfterGap?.close();
          s.jsonAfterGap = undefined;
        } else s.jsonAfterGap ??= this.#gapJson(s);
        return;
      }
      s.json.gap();
    } else if (s.proto === "h2" || s.headLen) {
      // an HTTP/2 direction (or one that may be) cannot find its frames again
      this.#kill(s);
    } else {
      if (s.conn) { // tcp, deciding again after a 101: HTTP/1 if anything
        this.#jsonGap(s);
        s.jsonAfterGap ??= this.#gapJson(s);
      } else s.json.gap();
    }
  }

  /** A gap for the JSON masker after an earlier one: a line it held, cut, out masked. */
  #jsonGap(s: Stream): void {
    if (s.jsonAfterGap) this.#put(s, s.jsonAfterGap.gap());
  }

  /** The JSON masker over a tcp direction's bytes from a gap on (until framing is found). */
  #gapJson(s: Stream): GapJsonMasker {
    return createGapJsonMasker(s.body?.watchFraming());
  }

  /** Stops recording a direction: queued calls go out empty, counted as lost. */
  #kill(s: Stream): void {
    const queued = s.queue;
    s.queue = [];
    s.out = [];
    s.outLen = 0;
    s.pend = [];
    s.headLen = 0;
    s.h2Wait = undefined;
    s.dead = true;
    for (const call of queued) this.#lose(call as C);
  }

  #lose(call: C): void {
    call.withheld = call.data.length - Math.min(call.lost, call.data.length);
    call.lost = call.data.length;
    call.data = new Uint8Array(0);
    this.#emit(call);
  }
}
