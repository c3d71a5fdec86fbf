/**
 * A WebSocket the recording joined after its upgrade: a capture that joined running processes
 * (`--pid`, `--comm`), or a connection made before the TLS hooks were placed. No handshake was
 * recorded, so neither the path nor the extensions agreed are known, and nothing of what the
 * connection carried before. Its messages are read anyway where that can be done soundly:
 *
 * - Frames (RFC 6455 5.2) are found from the first byte at which a run of valid frame headers,
 *   masked as the sender must mask (5.1: client frames masked, server frames not), reaches the
 *   end of the recorded bytes; the bytes before it (the rest of a frame begun earlier) and the
 *   continuation frames of a message begun earlier are skipped and counted.
 * - A compressed message (RSV1, permessage-deflate, RFC 7692) is inflated as with context
 *   takeover and the largest window (15 bits: what any agreement allows), preset with 32 KiB of
 *   NUL bytes standing in for the history never seen. A back-reference to that history decodes
 *   to NULs (JSON never holds a raw NUL), so a message that decodes to JSON with no NUL is the
 *   message as sent; any other compressed message is damaged: its bytes are dropped and said.
 *
 * One problem line says what was recovered and what was lost, per direction.
 */
import { webSocketFrameHeader } from "../protocols/websocket_frame.ts";
import { type DirectionStream, rowData, type TlsView } from "./byte_streams.ts";
import {
  type Deflate,
  parseDirection,
  type StreamPart,
  type TunnelInput,
  type WebSocketExchange,
  type WebSocketParseOptions,
  type WsMessage,
} from "./websocket_stream.ts";

type Side = "client" | "server";

/** How far into a direction a first whole frame is looked for. */
const SEARCH_LIMIT = 256 * 1024;

/** Where frames begin in `d`, and how many continuation frames of an earlier message follow. */
export interface FrameStart {
  /** offset of the first frame that begins a message (or is a control frame) */
  at: number;
  /** bytes before `at`: the rest of a frame begun earlier, continuation frames of a message begun earlier */
  skipped: number;
}

/**
 * The first offset from which frame headers, masked as `sender` masks, follow one another to
 * the end of `d` (the last frame may be cut short there), skipping continuation frames of a
 * message begun before it. Past offset 0 the run must hold two whole frames, so a chance
 * header in compressed bytes is not taken for a frame. Null: no such run.
 */
export function findFrameStart(d: Uint8Array, sender: Side): FrameStart | null {
  const limit = Math.min(d.length, SEARCH_LIMIT);
  // headers read in all, bounded: runs that fail late (a broken frame near the end) would
  // otherwise cost a walk to it from every offset
  const budget = { headers: HEADER_BUDGET };
  for (let p = 0; p < limit && budget.headers > 0; p++) {
    const run = frameRun(d, p, sender, budget);
    if (run && (p === 0 || run.whole >= 2)) return { at: run.first, skipped: run.first };
  }
  return null;
}

/** How many frame headers the search reads at most. */
const HEADER_BUDGET = 4_000_000;

function frameRun(
  d: Uint8Array,
  p: number,
  sender: Side,
  budget: { headers: number },
): { whole: number; first: number } | null {
  let q = p;
  let whole = 0;
  let first = -1;
  // a data message begun in the run is unfinished; one has begun in it
  let open = false;
  let begun = false;
  while (q < d.length) {
    if (--budget.headers < 0) return null;
    const h = webSocketFrameHeader(d, q);
    if (h === null) return null;
    if (h === "short") break; // the stream ends inside a header
    if (h.masked !== (sender === "client")) return null;
    if (h.opcode === 0) {
      if (open) open = !h.fin;
      else if (begun) return null; // a continuation frame with no message begun
      else first = -1; // of a message begun before the run: the start is after it
    } else if (h.opcode <= 2) {
      if (open) return null; // a new message inside a fragmented one
      if (first < 0) first = q;
      open = !h.fin;
      begun = true;
    } else if (first < 0) first = q; // a control frame
    q += h.headerLength + h.payloadLength;
    if (q <= d.length) whole++;
  }
  return first < 0 ? null : { whole, first };
}

/**
 * A direction's bytes up to its first break (what can be read in one run); a break before its
 * first recorded call is only where the recording joined it.
 */
export function directionInput(t: TlsView, s: DirectionStream): TunnelInput {
  const parts: StreamPart[] = [];
  for (let k = 0; k < s.rows.length; k++) {
    const b = k > 0 ? s.breaks.find((x) => x.at === k) : undefined;
    if (b) {
      return {
        parts,
        broken: {
          offset: b.offset,
          rest: s.length - s.starts[k],
          why: b.kind === "missing" ? `${b.amount} TLS calls missing` : "truncated call",
        },
      };
    }
    parts.push({ data: rowData(t, s.rows[k]), offset: s.starts[k] });
  }
  return { parts };
}

function joinParts(parts: StreamPart[]): Uint8Array {
  const n = parts.reduce((a, p) => a + p.data.length, 0);
  const out = new Uint8Array(n);
  let o = 0;
  for (const p of parts) (out.set(p.data, o), o += p.data.length);
  return out;
}

/** The parts from `skip` bytes in. */
function dropFront(parts: StreamPart[], skip: number): StreamPart[] {
  const out: StreamPart[] = [];
  for (const p of parts) {
    if (skip >= p.data.length) {
      skip -= p.data.length;
      continue;
    }
    out.push(skip ? { data: p.data.subarray(skip), offset: p.offset + skip } : p);
    skip = 0;
  }
  return out;
}

/** Unseen history, as the largest window any agreement allows, with context takeover. */
const UNKNOWN_HISTORY: Deflate = { windowBits: 15, noContextTakeover: false, unknownHistory: true };

const dec = new TextDecoder("utf-8", { fatal: true });

/** A compressed message decoded whole: JSON, with no NUL (a reference to unseen bytes). */
function wholeJson(m: WsMessage): boolean {
  if (m.error || m.incomplete || m.data.includes(0)) return false;
  try {
    JSON.parse(dec.decode(m.data));
    return true;
  } catch {
    return false;
  }
}

/**
 * Reads both directions of a WebSocket joined after its upgrade (see the top of this file).
 * `why`: why its start is missing, for the problem line.
 */
export function parseJoinedWebSocket(
  client: TunnelInput,
  server: TunnelInput,
  why: string,
  options: WebSocketParseOptions = {},
): WebSocketExchange {
  const messages: WsMessage[] = [];
  const problems: string[] = [];
  const said: string[] = [];
  for (const [side, input] of [["client", client], ["server", server]] as const) {
    const bytes = joinParts(input.parts);
    if (bytes.length === 0 && !input.broken) continue;
    const start = bytes.length ? findFrameStart(bytes, side) : null;
    if (!start) {
      said.push(
        `${side}: ${bytes.length} bytes not read (no run of WebSocket frames to their end ` +
          "found in them)",
      );
      continue;
    }
    const parts = dropFront(input.parts, start.at);
    const before = messages.length;
    parseDirection(side, { ...input, parts }, UNKNOWN_HISTORY, options, messages, problems);
    let recovered = 0;
    let damaged = 0;
    let plain = 0;
    for (const m of messages.slice(before)) {
      if (m.kind !== "text" && m.kind !== "binary") continue;
      if (!m.compressed) {
        plain++;
      } else if (wholeJson(m)) {
        recovered++;
      } else {
        damaged++;
        m.error = m.error ??
          "damaged: it refers back to bytes sent before the recording began (decoded as NUL), " +
            "so it is not read";
        m.data = new Uint8Array(0);
      }
    }
    said.push(
      `${side}: ${recovered + plain} message(s) recovered` +
        (plain ? ` (${plain} not compressed)` : "") + `, ${damaged} damaged` +
        (start.skipped ? `; ${start.skipped} bytes before its first whole frame skipped` : ""),
    );
  }
  problems.unshift(
    `read from its middle: ${why}; the path and extensions its upgrade agreed are unknown, so ` +
      "compressed messages were inflated against 32 KiB of unknown history and only those " +
      `that decode whole are read; the messages before it are lost. ${said.join("; ")}`,
  );
  return {
    agreement: { switched: true, deflate: null, offered: null, accepted: null, problems: [] },
    joined: true,
    messages,
    problems,
  };
}
