/**
 * Where a redacted byte stream picks up: at a direction's first bytes, and after a gap. Shared
 * by the TLS streams (capture/tls_streams.ts) and the tcp ipc redactor (capture/ipc_redact.ts)
 * so that both fail closed alike.
 *
 * A capture may join a connection already under way (`capture --pid` of a running agent, a
 * connection opened before the hooks attached): its counters start at 0, so its first bytes
 * look like a fresh start when they may be the middle of a header value, of a JSON-RPC body,
 * of an event stream, or of HTTP/2 frames. `judgeStreamStart` trusts a start only when the
 * bytes prove it: an HTTP/1 request or status line (protocols/start_line.ts), the HTTP/2
 * client preface (RFC 9113 3.4), or, on an HTTP/2 connection, a SETTINGS frame (the server's
 * first frame). Anything else is a gap of unknown landing ("gap": the HTTP/1 redactors'
 * gap machinery, blind, until a start line) or, when the bytes look like HTTP/2 frames or the
 * connection is HTTP/2, "frames": withheld, never read by the HTTP/1 redactor. At most
 * MAX_LINE bytes are held, once per direction, to decide; a fresh connection's bytes come out
 * as they would have.
 *
 * `gapPlan` is how an HTTP/1 direction's body masker goes on after a gap (the one decision
 * both redactors make): blind (the JSON masker over what follows, until a start line) or not,
 * and whether the lost bytes were passed over inside a body of known length.
 */
import { StartLineMatcher } from "./start_line.ts";
import { startsWithHttp2Preface, startsWithHttp2Settings } from "./http2_frame.ts";
import { type BodySecretMasker, type GapLanding, MAX_LINE } from "./http1_body_secrets.ts";

/**
 * "start": the bytes begin a message (or the connection); "gap": they may be anywhere in an
 * HTTP/1 stream; "frames": HTTP/2 (or may be) not at a known frame boundary: withhold.
 */
export type StreamStart = "start" | "gap" | "frames";

/** The most bytes held at a direction's start to decide. */
export const MAX_START = MAX_LINE;

/**
 * What a direction's first bytes (`head`, none lost before them) are, on a connection taken as
 * `proto`; undefined while more bytes are needed (never when `ended`: no more will come, or a
 * loss follows them).
 */
export function judgeStreamStart(
  head: Uint8Array,
  proto: "h1" | "h2",
  ended: boolean,
): StreamStart | undefined {
  if (proto === "h2") {
    if (startsWithHttp2Preface(head, true)) {
      if (startsWithHttp2Preface(head)) return "start";
      return ended ? "frames" : undefined;
    }
    const settings = startsWithHttp2Settings(head);
    if (settings === 1) return "start";
    return settings === -1 && !ended ? undefined : "frames";
  }
  const m = new StartLineMatcher();
  for (let k = 0; k < head.length && k < MAX_START; k++) {
    const v = m.feed(head[k]);
    if (v === "status" || v === "request") return "start";
    if (v === "no") {
      const frame = looksLikeFrameHeader(head);
      if (frame === undefined && !ended) return undefined;
      return frame === false ? "gap" : "frames";
    }
  }
  if (head.length < MAX_START && !ended) return undefined;
  return looksLikeFrameHeader(head) === true ? "frames" : "gap";
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
