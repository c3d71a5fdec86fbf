/**
 * Turns reassembled TLS calls into tls.arrow rows, one byte stream at a time: per
 * connection it picks the protocol (HTTP/2 when a direction starts with the h2 preface, else
 * HTTP/1.x; while its first bytes are only a start of the preface, a first write of `P` say,
 * its calls are held, nothing out, until the bytes decide: decideProto; HTTP/2 taken by
 * default, bytes lost or the end reached before a whole preface, withholds both directions),
 * runs that protocol's redactor over each direction's bytes in call order (secret
 * header values, and the `sessionId=` URL parameter, where MCP's HTTP+SSE transport puts its
 * session: the `endpoint` event's URL and every POST to it, as its keyed digest (held until
 * the value ends; `*`s when a gap or the end cuts it); HTTP/2's redactor masks both, in
 * HPACK blocks and DATA payloads; both: also the secret-named JSON values of JSON-RPC bodies
 * and events, MCP over HTTPS's `initialize`, tool calls and answers, by the rule the analysis
 * masks `mcp_messages` by and only in the bodies it reads as MCP's, judged by the connection
 * (HTTP/2: per stream, the two directions' redactors sharing `Http2Exchanges`) so that an LLM
 * API's bodies go through untouched and unheld: protocols/http1_body_secrets.ts,
 * protocols/http2_body_secrets.ts), and hands each call's redacted bytes on. A redactor that
 * holds bytes back (an HTTP/2 header block split across calls, a JSON-RPC body or event until
 * it ends) delays the calls it covers, never splits or merges them.
 *
 * Each direction's start is taken as one only when its first bytes prove it (a request or
 * status line, the h2 preface, an h2 SETTINGS frame: protocols/stream_start.ts; its calls
 * held, MAX_LINE bytes at most, until they do): a connection the capture joined under way
 * starts with a gap of unknown landing (below), and one whose bytes may be HTTP/2 frames is
 * withheld, both directions; one whose bytes are WebSocket frames from the first byte
 * (protocols/websocket_start.ts: a WebSocket joined after its upgrade) is a tunnel from its
 * start, as after a `101`, its frames checked to its end: at the first break (or loss) the
 * direction goes on after a gap of unknown landing, blind, never raw.
 *
 * After a gap (a lost call, a truncated or partly lost payload), an HTTP/1 redactor masks the
 * rest of the line the gap lands in (its header name may be what was lost) unless the framing
 * places the gap inside a body or at a message's start (capture/redact.ts), and resumes at
 * the next line (a JSON-RPC body cut by it goes out masked as far as it went, and bodies
 * are found again from the next request or status line; unless the gap is inside a body the
 * masker lets through on a connection not MCP's, or exactly at a message's start, the JSON
 * masker runs over the bytes after it, blind first, until then, that request or status line
 * let through (protocols/gap_json_masker.ts), as in ipc_redact.ts); an HTTP/2 redactor cannot
 * find frame boundaries again, so the rest of
 * that direction is not recorded (counted in `lost`, and as `withheld`: stream_damage.ts)
 * rather than risk writing a secret.
 */
import {
  afterGap,
  createHttp1Redactor,
  createParamRedactor,
  type Http1Redactor,
  type ParamRedactor,
  SECRET_PARAM,
  type StreamRedactor,
} from "./redact.ts";
import { createSessionDigest, type SessionDigest } from "../protocols/session_digest.ts";
import { startsWithHttp2Preface, startsWithHttp2Settings } from "../protocols/http2_frame.ts";
import {
  gapPlan,
  type StreamStart,
  StreamStartJudge,
  webSocketSideOf,
} from "../protocols/stream_start.ts";
import { type WebSocketSide, WebSocketStart } from "../protocols/websocket_start.ts";
import {
  type BodyMaskCounts,
  type BodySecretMasker,
  createHttp1BodySecrets,
  type Http1Exchanges,
} from "../protocols/http1_body_secrets.ts";
import type { Http2Exchanges } from "../protocols/http2_body_secrets.ts";
import { createGapJsonMasker, type GapJsonMasker } from "../protocols/gap_json_masker.ts";
import { ownCall, type TlsCall } from "./tls_assembler.ts";
import { concatBytes } from "../kit/bytes.ts";

export interface RedactedCall {
  call: TlsCall;
  data: Uint8Array;
  /** bytes lost in all (the call's own holes plus bytes withheld for safety) */
  lost: number;
  /** of those, the bytes withheld: the call is written empty so that no secret leaks */
  withheld: number;
}

/**
 * Makes the HTTP/2 redactor of one direction, given what the connection's two directions share
 * (which of its streams are MCP's: protocols/http2_body_secrets.ts; a fresh one if left out);
 * supplied by the caller so capture need not depend on it. It may
 * return undefined while its code is still loading: the connection's calls then wait, in
 * order and untouched, until `ready` settles, and go through as if it had been there (if it
 * still has none then, they are counted lost: nothing unredacted is written). `ready` is
 * awaited before `finish()`.
 */
export type H2RedactorFactory =
  & ((
    shared?: Http2Exchanges,
    digest?: SessionDigest,
    counts?: BodyMaskCounts,
  ) => StreamRedactor | undefined)
  & {
    ready?: () => Promise<void>;
  };

interface Direction {
  redactor?: StreamRedactor;
  /** HTTP/1: the `sessionId=` URL parameter's masker, after `redactor` */
  param?: ParamRedactor;
  /** HTTP/1: secrets in JSON-RPC bodies, after `param` (it holds a body back until it ends) */
  body?: BodySecretMasker;
  /** HTTP/1: what the two directions' body maskers share (whether the connection is MCP's) */
  shared?: Http1Exchanges;
  /**
   * HTTP/1, from a gap the body masker could not pass over (framing lost, a head, a JSON-RPC
   * body, an MCP connection) until it finds a request or status line: the JSON masker, blind
   * first, a start line let through (protocols/gap_json_masker.ts; as ipc_redact.ts's
   * `jsonAfterGap`)
   */
  json?: GapJsonMasker;
  nextSeq: bigint;
  /** calls whose redacted bytes are not all out yet */
  queue: TlsCall[];
  /** redacted bytes not yet handed to a call */
  out: Uint8Array[];
  outLen: number;
  /** h2 only: sync was lost, nothing more is recorded */
  dead: boolean;
  /** its start judged (protocols/stream_start.ts): its calls go through */
  started: boolean;
  /** the calls held while its first bytes decide whether they are a start */
  startHeld?: TlsCall[];
  /** what decides it, fed those calls */
  judge?: StreamStartJudge;
  /**
   * judged WebSocket frames joined after their upgrade (a tunnel): their check, fed every later
   * byte; at a break or a loss the direction falls back to a gap of unknown landing
   */
  ws?: WebSocketStart;
  /** of the held calls replayed, those `ws` was fed already (by the start's judge) */
  wsFed?: number;
}

interface Conn {
  /** the side a direction judged WebSocket frames at its start was (the other must be the other) */
  wsSide?: WebSocketSide;
  proto?: "h1" | "h2";
  dirs: [Direction, Direction];
  /** HTTP/1: what the two directions' body maskers share (which requests were HEADs) */
  h1?: Http1Exchanges;
  /** HTTP/2: what the two directions' redactors share (which streams are MCP's) */
  h2?: Http2Exchanges;
  /** h2 whose redactor is still loading: the calls so far, in order */
  waiting?: TlsCall[];
  /** the protocol not yet decided (decideProto): the calls so far, in order, none out */
  undecided?: TlsCall[];
  /**
   * HTTP/2 taken by default, not by a whole preface (bytes lost, too many calls, the end): its
   * bytes may be HTTP/1's, the other direction's too, which the HTTP/2 redactor cannot read:
   * every call of both directions withheld
   */
  forced?: boolean;
}

/** The most calls held undecided (each a byte of the preface at least, and the other side's). */
const MAX_UNDECIDED = 64;

/**
 * The protocol of a connection from its first calls (in order), or undefined while the bytes of
 * the first call's direction are all a start of the HTTP/2 client preface (RFC 9113 3.4), none
 * lost: HTTP/2 once the whole preface is in, HTTP/1 once a byte rules it out. Where bytes were
 * lost (a call after a missing one, a hole, a cut), or too many calls came undecided, a start
 * of the preface is "forced": HTTP/2 by default, both directions withheld (never raw), else
 * HTTP/1.
 */
export function decideProto(calls: TlsCall[]): "h1" | "h2" | "forced" | undefined {
  const dir = calls[0].dir;
  const mine = calls.filter((c) => c.dir === dir);
  const probe = concatBytes(mine.map((c) => c.data));
  if (startsWithHttp2Preface(probe)) return "h2";
  // the server's SETTINGS frame may come first (it need not wait for the preface)
  const settings = startsWithHttp2Settings(probe);
  if (settings === 1) return "h2";
  const prefix = probe.length === 0 || startsWithHttp2Preface(probe, true) || settings === -1;
  if (!prefix) return "h1";
  const lossy = calls.some((c) => c.lost > 0 || c.truncated || c.holes) ||
    mine.some((c, k) => c.seq !== mine[0].seq + BigInt(k)) || mine[0].seq !== 0n;
  if (lossy || calls.length >= MAX_UNDECIDED) return probe.length ? "forced" : "h1";
  return undefined;
}

export class TlsStreams {
  #conns = new Map<string, Conn>();
  #keepSecrets: boolean;
  #h2: H2RedactorFactory | undefined;
  #emit: (r: RedactedCall) => void;
  /** the recording's keyed digest of session ids (its key in memory only) */
  #digest: SessionDigest;
  /** bodies masked whole unjudged (an encoded request past a cap), for the warnings */
  #counts: BodyMaskCounts | undefined;

  /**
   * `digest`: the recording's (default: a fresh key, this object's: one per recording);
   * `counts`: where the body maskers count what they mask whole unjudged
   */
  constructor(
    opts: {
      keepSecrets: boolean;
      h2Redactor?: H2RedactorFactory;
      digest?: SessionDigest;
      counts?: BodyMaskCounts;
    },
    emit: (r: RedactedCall) => void,
  ) {
    this.#keepSecrets = opts.keepSecrets;
    this.#counts = opts.counts;
    this.#h2 = opts.h2Redactor;
    this.#emit = emit;
    this.#digest = opts.digest ?? createSessionDigest();
  }

  push(call: TlsCall): void {
    if (this.#keepSecrets) {
      this.#emit({ call, data: call.data, lost: call.lost, withheld: 0 });
      return;
    }
    const key = `${call.pid}:${call.conn}:${call.gen}`;
    let c = this.#conns.get(key);
    if (!c) {
      c = { dirs: [newDir(), newDir()] };
      this.#conns.set(key, c);
    }
    if (!c.proto) {
      // held, nothing out, while the bytes so far are the h2 preface's start (a first write of
      // "P" may begin "PRI * HTTP/2.0" or "POST"): then every call so far, in order
      const held = c.undecided ??= [];
      held.push(ownCall(call)); // its data is lent (tls_assembler.ts)
      const proto = decideProto(held);
      if (!proto) return;
      c.proto = proto === "forced" ? "h2" : proto;
      c.forced = proto === "forced";
      c.undecided = undefined;
      for (const h of held) this.push(h);
      return;
    }
    if (c.forced) {
      this.#emit(withheld(call));
      return;
    }
    const h2 = c.proto === "h2" && this.#h2 !== undefined;
    if (c.waiting) {
      c.waiting.push(ownCall(call)); // its data is lent (tls_assembler.ts)
      return;
    }
    const d = c.dirs[call.dir];
    if (!d.redactor && h2) {
      d.redactor = this.#h2!(c.h2 ??= { asked: new Set() }, this.#digest, this.#counts);
      if (!d.redactor) return this.#wait(c, call);
    }
    if (!d.redactor) {
      d.shared = c.h1 ??= { methods: [] };
      [d.redactor, d.param, d.body] = http1Redactors(d.shared, this.#digest, this.#counts);
    }

    if (!d.started) {
      // held until its first bytes show whether they are a start (protocols/stream_start.ts)
      const held = d.startHeld ??= [];
      held.push(ownCall(call)); // its data is lent (tls_assembler.ts)
      const start = judgeCall(d, held.at(-1)!, c.proto!, c.wsSide);
      if (start) this.#started(c, d, start);
      return;
    }

    const gapBefore = call.seq !== d.nextSeq;
    d.nextSeq = call.seq + 1n;
    if (d.ws) {
      // a joined WebSocket's frames checked to the end: after a lost call, afresh from this
      // call's first byte (frames of the same side); at a break, or a loss inside a call (past
      // which they cannot be followed), the tunnel ends, this call on after a gap of unknown
      // landing (blind), never raw
      if (gapBefore) {
        d.ws = new WebSocketStart(d.ws.side);
        d.wsFed = 0;
      }
      const lossy = call.holes !== undefined || call.lost > 0 || call.truncated;
      if (d.wsFed) d.wsFed--; // a held call its start's judge was fed
      else if (!lossy) d.ws.push(call.data);
      if (lossy || d.ws.broken) this.#untunnel(d);
    }
    if (gapBefore && h2) this.#kill(d);
    else if (gapBefore) this.#h1Gap(d, undefined); // whole calls lost: how many bytes, unknown

    if (d.dead) {
      this.#emit(withheld(call));
      return;
    }
    d.queue.push(call);
    if (call.holes && h2) {
      // HTTP/2: zeros decode as valid HPACK and frames, a block across a hole out of step; what
      // came before the first hole goes through, then the direction stops (this call withheld)
      this.#feed(d, call.data.subarray(0, call.holes[0]));
      this.#drain(d);
      this.#kill(d);
      return;
    }
    const cut = call.total - call.data.length;
    let gapAfter = call.lost > 0 || call.truncated;
    if (call.holes && !h2) {
      // HTTP/1: each hole is a gap of its length, its zeros written as they are
      gapAfter = this.#h1Holes(d, call.data, call.holes, cut);
    } else this.#feed(d, call.data);
    // the bytes a cut call did not keep
    if (gapAfter && !h2) this.#h1Gap(d, cut);
    this.#drain(d);
    // held back by the redactor (an HTTP/2 header block going on in the next call): keep it,
    // and the output so far, which may be views of the call's lent data
    if (d.queue.at(-1) === call) d.queue[d.queue.length - 1] = ownCall(call);
    if (d.outLen) {
      const kept = takeOut(d, d.outLen).slice();
      d.out = [kept];
      d.outLen = kept.length;
    }
    if (gapAfter && h2) this.#kill(d);
  }

  /**
   * A direction's start judged: its held calls go on; after a gap of unknown length where its
   * bytes are no proven start, or withheld, and the connection's other direction too, where
   * they may be HTTP/2 frames joined mid-stream (never read as HTTP/1).
   */
  #started(c: Conn, d: Direction, start: StreamStart): void {
    const held = d.startHeld ?? [];
    const judge = d.judge;
    d.started = true;
    d.startHeld = undefined;
    d.judge = undefined;
    if (start === "frames") {
      c.forced = true;
      for (const o of c.dirs) {
        if (o === d) continue;
        this.#kill(o);
        for (const h of o.startHeld ?? []) this.#emit(withheld(h));
        o.startHeld = undefined;
        o.judge = undefined;
        o.started = true;
      }
      this.#kill(d);
      for (const h of held) this.#emit(withheld(h));
      return;
    }
    if (start === "gap") d.nextSeq = -1n; // its first call comes after a gap of unknown length
    const ws = webSocketSideOf(start);
    if (ws) {
      // WebSocket frames joined after their upgrade: a tunnel from the start, as after a 101,
      // its frames checked on to its end by the judge's check, which was fed the held calls up
      // to the first missing one (judgeCall)
      c.wsSide = ws;
      d.body?.tunnel();
      d.ws = d.body ? judge?.webSocket : undefined;
      const missing = held.findIndex((h, k) => h.seq !== held[0].seq + BigInt(k));
      d.wsFed = missing < 0 ? held.length : missing;
    }
    for (const h of held) this.push(h);
  }

  /**
   * A joined direction taken as WebSocket whose frames broke (or were lost): what its redactors
   * held goes out, and fresh ones take the rest after a gap of unknown landing (blind), never
   * raw.
   */
  #untunnel(d: Direction): void {
    d.ws = undefined;
    d.wsFed = 0;
    this.#outH1(d, this.#h1After(d, d.redactor!.flush()));
    this.#outH1(d, this.#h1Body(d, d.param!.flush()));
    this.#outH1(d, d.body!.flush());
    [d.redactor, d.param, d.body] = http1Redactors(d.shared, this.#digest, this.#counts);
    this.#h1Gap(d, undefined);
  }

  /** Bytes of a direction through its redactors, out. */
  #feed(d: Direction, bytes: Uint8Array): void {
    let red = d.redactor!.transform(bytes);
    if (d.param) red = d.param.transform(red);
    if (d.body) this.#outH1(d, d.body.transform(red));
    else this.#out(d, red);
  }

  /**
   * An HTTP/1 call with holes (zero-filled): the bytes between them through the redactors, each
   * hole a gap of its length (one at the end joins the `cut` bytes not kept). Whether a gap is
   * still to be taken after it (the call cut, its end no hole).
   */
  #h1Holes(d: Direction, data: Uint8Array, holes: number[], cut: number): boolean {
    let at = 0;
    for (let k = 0; k < holes.length; k += 2) {
      const [a, b] = [holes[k], holes[k + 1]];
      if (a > at) this.#feed(d, data.subarray(at, a));
      this.#h1Gap(d, b - a + (b === data.length ? cut : 0));
      this.#out(d, new Uint8Array(b - a)); // zeros, whatever the buffer held there
      at = b;
    }
    if (at < data.length) this.#feed(d, data.subarray(at));
    return cut > 0 && at < data.length;
  }

  /**
   * An HTTP/1 direction after a gap of `lost` bytes (undefined: not known): the line it lands
   * in is masked unless the framing places it in a body or at a message's start; a held body
   * goes out, masked as cut.
   */
  #h1Gap(d: Direction, lost: number | undefined): void {
    // a session id cut by the gap: held until now, it goes out (as `*`s) before the gap
    const r = d.redactor as Http1Redactor;
    this.#outH1(d, this.#h1After(d, afterGap(r)));
    // a `sessionId=` value cut by the gap, held until now: out as `*`s (its rest after the gap
    // masked too, to a byte that ends a value)
    this.#outH1(d, this.#h1Body(d, d.param!.cut()));
    if (!d.body) return;
    const landing = d.body.landing(lost);
    r.land(landing);
    // at a message's start, its start line comes next (the body masker finds it again); inside
    // a body it lets through (an LLM API's), on a connection not MCP's, the bytes after the gap
    // go through as they come; else they may be a JSON-RPC body's, its framing lost: the JSON
    // masker, blind, until a request or status line (as ipc_redact.ts)
    // inside a body it lets through, of known length, the lost bytes counted, the framing goes
    // on past them (the next message may begin right after the body, no line end before it)
    const { blind, skipped } = gapPlan(landing, lost, d.body, d.json?.following, d.shared?.mcp);
    if (!skipped) this.#outH1(d, d.body.gap()); // what it held: bytes from before the gap
    // a line held while it might be a start line, cut by this gap: out masked
    if (d.json) this.#out(d, d.json.gap());
    if (!blind) {
      // at a message's start, or inside a body it lets through with the framing followed:
      // the bytes after the gap as before any
      d.json?.close();
      d.json = undefined;
      return;
    }
    d.json ??= createGapJsonMasker(d.body.watchFraming());
  }

  /**
   * HTTP/1 bytes out, through the JSON masker after a gap (until a start line has gone through
   * and the framing is found).
   */
  #outH1(d: Direction, bytes: Uint8Array): void {
    if (!d.json || !bytes.length) return this.#out(d, bytes);
    this.#out(d, d.json.transform(bytes));
  }

  /** Bytes the header redactor let out, through the HTTP/1 redactors after it. */
  #h1After(d: Direction, bytes: Uint8Array): Uint8Array {
    if (!bytes.length) return bytes;
    return this.#h1Body(d, d.param ? d.param.transform(bytes) : bytes);
  }

  /** Bytes the `sessionId=` masker let out, through the body masker. */
  #h1Body(d: Direction, bytes: Uint8Array): Uint8Array {
    return d.body && bytes.length ? d.body.transform(bytes) : bytes;
  }

  #out(d: Direction, bytes: Uint8Array): void {
    if (!bytes.length) return;
    d.out.push(bytes);
    d.outLen += bytes.length;
  }

  /** Holds an h2 connection's calls until the redactor's code has loaded, then replays them. */
  #wait(c: Conn, call: TlsCall): void {
    c.waiting = [ownCall(call)];
    const replay = () => {
      const calls = c.waiting ?? [];
      c.waiting = undefined;
      for (const w of calls) this.#pushLoaded(c, w);
    };
    (this.#h2!.ready?.() ?? Promise.resolve()).then(replay, replay);
  }

  /** A call of a connection that waited: through the redactor, or lost if none came. */
  #pushLoaded(c: Conn, call: TlsCall): void {
    const d = c.dirs[call.dir];
    d.redactor ??= this.#h2!(c.h2 ??= { asked: new Set() }, this.#digest, this.#counts);
    if (!d.redactor) {
      // the HTTP/2 code could not be loaded: never write these bytes
      d.redactor = createHttp1Redactor();
      d.dead = true;
    }
    this.push(call);
  }

  /** Hands out everything still held back (end of capture). */
  finish(): void {
    for (const c of this.#conns.values()) {
      if (c.undecided) {
        // the connection ended undecided (a start of the preface, or nothing): HTTP/1 would
        // read a lone "P" or "PRI" as it reads any line; both may be the start of either:
        // withheld, both directions (forced)
        const held = c.undecided;
        c.undecided = undefined;
        c.forced = held.some((h) => h.data.length);
        c.proto = c.forced ? "h2" : "h1";
        for (const h of held) this.push(h);
      }
      for (const call of c.waiting ?? []) {
        this.#emit(withheld(call));
      }
      c.waiting = undefined;
      for (const d of c.dirs) {
        if (d.startHeld) this.#started(c, d, d.judge?.verdict(true, c.wsSide) ?? "start");
      }
      for (const d of c.dirs) {
        if (d.dead || !d.redactor) continue;
        const rest = d.redactor.flush();
        if (d.body) {
          this.#outH1(d, this.#h1After(d, rest));
          this.#outH1(d, this.#h1Body(d, d.param!.flush()));
          this.#outH1(d, d.body.flush());
          if (d.json) this.#out(d, d.json.flush());
        } else this.#out(d, rest);
        this.#drain(d);
        this.#kill(d); // anything still queued could not be redacted: withheld
      }
    }
  }

  #drain(d: Direction): void {
    while (d.queue.length && d.outLen >= d.queue[0].data.length) {
      const call = d.queue.shift()!;
      const data = takeOut(d, call.data.length);
      this.#emit({ call, data, lost: call.lost, withheld: 0 });
    }
  }

  /** Stops recording a direction: queued calls go out empty, counted as lost. */
  #kill(d: Direction): void {
    for (const call of d.queue) {
      this.#emit(withheld(call));
    }
    d.queue = [];
    d.out = [];
    d.outLen = 0;
    d.dead = true;
  }
}

/** A call written empty: its bytes but its holes are withheld. */
function withheld(call: TlsCall): RedactedCall {
  const n = call.data.length;
  return { call, data: new Uint8Array(0), lost: n, withheld: n - Math.min(call.lost, n) };
}

/**
 * An HTTP/1 direction's redactors, in the order its bytes go through them (here and in
 * ipc_redact.ts): secret header values, then the `sessionId=` URL parameter, then the
 * secret-named JSON values of JSON-RPC bodies (`shared` with the other direction: which
 * requests were HEADs, whether the connection is MCP's; `counts`: what it masks whole unjudged).
 */
export function http1Redactors(
  shared: Http1Exchanges | undefined,
  digest: SessionDigest,
  counts?: BodyMaskCounts,
): [Http1Redactor, ParamRedactor, BodySecretMasker] {
  return [
    createHttp1Redactor(undefined, digest),
    // a value a chunked body's chunk boundary cuts goes on after it (chunk_seam.ts)
    createParamRedactor(SECRET_PARAM, { digest, hold: true, chunkSeams: true }),
    createHttp1BodySecrets(shared, counts),
  ];
}

function newDir(): Direction {
  return { nextSeq: 0n, queue: [], out: [], outLen: 0, dead: false, started: false };
}

/**
 * What a direction's first calls begin with, its next held call `call` fed to its judge
 * (protocols/stream_start.ts), undefined while undecided. A first call past seq 0 is taken as
 * it is: the gap before it does the rest. The bytes judged stop at the first loss (a missing
 * call, a hole, a cut). `wsPeer`: the side the other direction's WebSocket frames were.
 */
function judgeCall(
  d: Direction,
  call: TlsCall,
  proto: "h1" | "h2",
  wsPeer: WebSocketSide | undefined,
): StreamStart | undefined {
  if (!d.judge) {
    if (call.seq !== 0n) return "start";
    d.judge = new StreamStartJudge(proto);
  } else if (call.seq !== BigInt(d.startHeld!.length - 1)) return d.judge.verdict(true, wsPeer);
  d.judge.push(call.holes ? call.data.subarray(0, call.holes[0]) : call.data);
  const lossAfter = call.holes !== undefined || call.truncated || call.lost > 0;
  return d.judge.verdict(lossAfter, wsPeer);
}

/** Redacted bytes waiting for the calls they belong to (a direction's, here and in ipc_redact.ts). */
export interface OutBytes {
  out: Uint8Array[];
  outLen: number;
}

/** The next n redacted bytes out of `d` (its first piece itself when it is exactly n). */
export function takeOut(d: OutBytes, n: number): Uint8Array {
  if (n === 0) return new Uint8Array(0);
  const head = d.out[0];
  if (head.length >= n) {
    d.outLen -= n;
    if (head.length === n) d.out.shift();
    else d.out[0] = head.subarray(n);
    return head.subarray(0, n);
  }
  const res = new Uint8Array(n);
  let got = 0;
  while (got < n) {
    const head = d.out[0];
    const k = Math.min(head.length, n - got);
    res.set(head.subarray(0, k), got);
    got += k;
    if (k === head.length) d.out.shift();
    else d.out[0] = head.subarray(k);
  }
  d.outLen -= n;
  return res;
}
