/**
 * Where a redacted byte stream picks up: at a direction's first bytes, and after a gap. Shared
 * by the TLS streams (capture/tls_streams.ts) and the tcp ipc redactor (capture/ipc_redact.ts)
 * so that both fail closed alike.
 *
 * A capture may join a connection already under way (`capture --pid` of a running agent, a
 * connection opened before the hooks attached): its counters start at 0, so its first bytes
 * look like a fresh start when they may be the middle of a header value, of a JSON-RPC body,
 * of an event stream, of HTTP/2 frames or of a WebSocket's frames. `StreamStartJudge`, fed a
 * direction's first calls, trusts a start only when the bytes prove it: an HTTP/1 request or
 * status line (protocols/start_line.ts), the HTTP/2 client preface (RFC 9113 3.4), or, on an
 * HTTP/2 connection, a SETTINGS frame (the server's first frame). WebSocket frames that
 * follow one another exactly from the first byte to where a call ends (websocket_start.ts,
 * which ASCII text cannot pass) are a WebSocket joined after its upgrade ("ws-client",
 * "ws-server": a tunnel from the start, as after a `101`, its frames checked to its end: at a
 * break it falls back to a gap of unknown landing), unless they are HTTP/2 frames just
 * as well. Anything else is a gap of unknown landing ("gap": the HTTP/1 redactors' gap
 * machinery, blind, until a start line) or, when the bytes look like HTTP/2 frames or the
 * connection is HTTP/2, "frames": withheld, never read by the HTTP/1 redactor. At most
 * MAX_LINE bytes are held, once per direction, to decide (MAX_WEBSOCKET_START while they may
 * be WebSocket frames); a fresh connection's bytes come out as they would have. (An HTTP/2
 * direction judged started at a SETTINGS frame may still be a connection joined under way: its
 * HPACK table and the streams begun before are unknown, which the HTTP/2 redactor makes safe,
 * http2_redactor.ts: an unknown table index fails closed, DATA of an unknown stream is masked.)
 *
 * `gapPlan` is how an HTTP/1 direction's body masker goes on after a gap (the one decision
 * both redactors make): blind (the JSON masker over what follows, until a start line) or not,
 * and whether the lost bytes were passed over inside a body of known length.
 */
import { StartLineMatcher, type StartLineVerdict } from "./start_line.ts";
import { type WebSocketSide, WebSocketStart } from "./websocket_start.ts";
import {
  FRAME_HEADER_LENGTH,
  startsWithHttp2Preface,
  startsWithHttp2Settings,
} from "./http2_frame.ts";
import { FrameRun } from "./frame_run.ts";
import { type BodySecretMasker, type GapLanding, MAX_LINE } from "./http1_body_secrets.ts";

/**
 * "start": the bytes begin a message (or the connection); "gap": they may be anywhere in an
 * HTTP/1 stream; "frames": HTTP/2 (or may be) not at a known frame boundary: withhold;
 * "ws-client", "ws-server": WebSocket frames, that side's (websocket_start.ts): a tunnel, as
 * after an upgrade.
 */
export type StreamStart = "start" | "gap" | "frames" | "ws-client" | "ws-server";

/** The most bytes held at a direction's start to decide (but while they may be WebSocket frames). */
export const MAX_START = MAX_LINE;

/** The side a "ws-" start is, else undefined. */
export function webSocketSideOf(start: StreamStart | undefined): WebSocketSide | undefined {
  return start === "ws-client" ? "client" : start === "ws-server" ? "server" : undefined;
}

/**
 * What a direction's first bytes are, on a connection taken as `proto`, fed call by call (a
 * push parser: it keeps the first MAX_START bytes, not the calls).
 */
export class StreamStartJudge {
  #proto: "h1" | "h2";
  #head = new Uint8Array(MAX_START);
  #headLen = 0;
  #line = new StartLineMatcher();
  #lineVerdict: StartLineVerdict = "maybe";
  #ws = new WebSocketStart();
  #h2 = new Http2FrameRun();

  constructor(proto: "h1" | "h2") {
    this.#proto = proto;
  }

  /**
   * The WebSocket frames' check fed so far: after a "ws-" verdict, the redactor feeds it every
   * later byte of the direction, and falls back to a gap where it breaks (websocket_start.ts).
   */
  get webSocket(): WebSocketStart {
    return this.#ws;
  }

  /** The next call's bytes (none lost before them). */
  push(chunk: Uint8Array): void {
    const k = Math.min(chunk.length, MAX_START - this.#headLen);
    for (let i = 0; i < k && this.#lineVerdict === "maybe"; i++) {
      this.#lineVerdict = this.#line.feed(chunk[i]);
    }
    this.#head.set(chunk.subarray(0, k), this.#headLen);
    this.#headLen += k;
    if (this.#proto === "h1") {
      this.#ws.push(chunk);
      this.#h2.push(chunk);
    }
  }

  /**
   * What the bytes so far are, undefined while more are needed (never when `ended`: no more
   * will come, or a loss follows them). `wsPeer`: the side the connection's other direction
   * was judged WebSocket frames of.
   */
  verdict(ended: boolean, wsPeer?: WebSocketSide): StreamStart | undefined {
    const head = this.#head.subarray(0, this.#headLen);
    if (this.#proto === "h2") {
      if (startsWithHttp2Preface(head, true)) {
        if (startsWithHttp2Preface(head)) return "start";
        return ended ? "frames" : undefined;
      }
      const settings = startsWithHttp2Settings(head);
      if (settings === 1) return "start";
      return settings === -1 && !ended ? undefined : "frames";
    }
    const line = this.#lineVerdict;
    if (line === "status" || line === "request") return "start";
    if (line === "maybe" && !ended && head.length < MAX_START) return undefined;
    // no start line: WebSocket frames joined after their upgrade, or anything (ASCII cannot pass)
    const ws = this.#ws.verdict(ended, wsPeer);
    if (ws === undefined) return undefined;
    // frames of either kind: HTTP/2's read as WebSocket would pass raw; withheld
    if (ws) return this.#h2.endsAtCall ? "frames" : ws === "client" ? "ws-client" : "ws-server";
    const frame = looksLikeFrameHeader(head);
    if (frame === undefined && !ended) return undefined;
    // too short to rule out a frame header: withheld, unless it might yet have been a start line
    return frame === true || (frame === undefined && line === "no") ? "frames" : "gap";
  }
}

/**
 * Whether `b` begins with what may be an HTTP/2 frame header (RFC 9113 4.1): a known type
 * (0-9) and the stream id's reserved bit clear; undefined while too short to tell (what is
 * there does not rule it out). HTTP/1 text has no byte below TAB where a frame's type is.
 */
export function looksLikeFrameHeader(b: Uint8Array): boolean | undefined {
  if (b.length > 3 && b[3] > 9) return false;
  if (b.length > 5 && b[5] & 0x80) return false;
  return b.length >= 9 ? true : undefined;
}

/**
 * HTTP/2 frame headers (looksLikeFrameHeader) that follow one another from the first byte:
 * whether one of their frames ends where a call does.
 */
class Http2FrameRun {
  endsAtCall = false;
  #run = new FrameRun<null>(
    (b) => {
      if (b.length < FRAME_HEADER_LENGTH) return looksLikeFrameHeader(b) === false ? null : "short";
      if (!looksLikeFrameHeader(b)) return null;
      return { header: null, size: FRAME_HEADER_LENGTH + ((b[0] << 16) | (b[1] << 8) | b[2]) };
    },
    FRAME_HEADER_LENGTH,
    () => true,
    (_, endsCall) => {
      if (endsCall) this.endsAtCall = true;
      return true;
    },
  );

  push(chunk: Uint8Array): void {
    if (chunk.length) this.#run.push(chunk);
  }
}

/**
 * After a gap that lands `landing` (`lost` bytes, undefined: not known) in an HTTP/1 direction:
 * whether the JSON masker goes blind over what follows (the gap lands nowhere known; or in a
 * body the masker holds or reads as MCP's, or after an earlier gap whose framing is not found
 * again), and whether the lost bytes were passed over (`body.skip`) inside a body let through
 * whose framing goes on. `jsonFollowing`: the JSON masker after an earlier gap is on and
 * follows the framing (undefined: none on); `mcp`: the connection is MCP's.
 */
export function gapPlan(
  landing: GapLanding,
  lost: number | undefined,
  body: BodySecretMasker,
  jsonFollowing: boolean | undefined,
  mcp: boolean | undefined,
): { blind: boolean; skipped: boolean } {
  const blind = landing === "unknown" ||
    (landing === "body" && (jsonFollowing === false || !body.passing || mcp === true));
  const skipped = landing === "body" && lost !== undefined && !blind && body.skip(lost);
  return { blind, skipped };
}
