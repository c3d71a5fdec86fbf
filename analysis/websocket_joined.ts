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
 *   A message not compressed is exact, but counted as recovered only when it is JSON.
 *
 * One problem line says what was recovered and what was lost, per direction.
 */
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
import {
  classifyResumed,
  dropFront,
  findFrameStart,
  type FrameStart,
  joinParts,
} from "./websocket_resync.ts";

/**
 * A direction's bytes up to its first break (what can be read in one run), and after it run by
 * run; a break before its first recorded call is only where the recording joined it.
 */
export function directionInput(t: TlsView, s: DirectionStream): TunnelInput {
  const input: TunnelInput = { parts: [] };
  for (let k = 0; k < s.rows.length; k++) {
    const part = { data: rowData(t, s.rows[k]), offset: s.starts[k] };
    if (!keptAfterBreak(input, s, k, part)) input.parts.push(part);
  }
  return input;
}

/**
 * Row `k` of `s` going to a tunnel's `input`: notes the first break at it (one before the
 * direction's first recorded call is only where the recording joined it) and, from that break
 * on, keeps the bytes run by run (each up to the next break), for the WebSocket parser to read
 * again from a whole frame. False: no break yet, the bytes are the caller's to take.
 */
export function keptAfterBreak(
  input: TunnelInput,
  s: DirectionStream,
  k: number,
  part: StreamPart,
): boolean {
  const b = k > 0 ? s.breaks.find((x) => x.at === k) : undefined;
  if (b && !input.broken) {
    input.broken = {
      offset: b.offset,
      rest: s.length - s.starts[k],
      why: b.kind === "missing" ? `${b.amount} TLS calls missing` : "truncated call",
    };
  }
  if (!input.broken) return false;
  const runs = input.resumed ??= [];
  if (b || runs.length === 0) runs.push([]);
  runs[runs.length - 1].push(part);
  return true;
}

/** Unseen history, as the largest window any agreement allows, with context takeover. */
const UNKNOWN_HISTORY: Deflate = { windowBits: 15, noContextTakeover: false, unknownHistory: true };

/**
 * One direction of a connection that may be a WebSocket joined after its upgrade: its input
 * (`directionInput`), its bytes up to its first break, and where in them a run of frames masked
 * as `side` masks reaches their end (`findFrameStart`; null: none). Found once: deciding whether
 * the connection is such a WebSocket and reading it use the same search.
 */
export interface JoinedDirection {
  input: TunnelInput;
  bytes: Uint8Array;
  start: FrameStart | null;
}

/** `input`'s frame search as `side` sends (`stats` as findFrameStart's). */
export function joinedDirection(
  input: TunnelInput,
  side: "client" | "server",
  stats?: { headers: number },
): JoinedDirection {
  const bytes = joinParts(input.parts);
  return { input, bytes, start: bytes.length ? findFrameStart(bytes, side, stats) : null };
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
  return readJoinedWebSocket(
    joinedDirection(client, "client"),
    joinedDirection(server, "server"),
    why,
    options,
  );
}

/** `parseJoinedWebSocket` of directions whose frames were already searched for. */
export function readJoinedWebSocket(
  client: JoinedDirection,
  server: JoinedDirection,
  why: string,
  options: WebSocketParseOptions = {},
): WebSocketExchange {
  const messages: WsMessage[] = [];
  const problems: string[] = [];
  const said: string[] = [];
  for (const [side, { input, bytes, start }] of [["client", client], ["server", server]] as const) {
    if (bytes.length === 0 && !input.broken) continue;
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
    const { plain, other, recovered, damaged } = classifyResumed(messages.slice(before));
    said.push(
      `${side}: ${recovered + plain} message(s) recovered` +
        (plain ? ` (${plain} not compressed)` : "") +
        (other ? `, ${other} not compressed and not JSON (kept as read)` : "") +
        `, ${damaged} damaged` +
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
