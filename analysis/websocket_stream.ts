/**
 * The WebSocket messages of one upgraded exchange: what the handshake agreed (switch, and
 * `permessage-deflate` per direction), then each direction's bytes after it through the
 * WebSocket parser. The bytes come as parts with their stream offsets — the rest of an
 * HTTP/1.1 connection after the upgrade, or the DATA of an HTTP/2 extended CONNECT stream
 * (RFC 8441) — and every message keeps the stream offsets of its first and last bytes, so it
 * can be timed by the TLS calls that carried them.
 *
 * A direction whose stream broke (TLS calls missing or cut) is parsed up to the break only:
 * frames cannot be found again after it, and with context takeover the compression window is
 * lost too. What is left unparsed is said in `problems`.
 */
import {
  createWebSocketParser,
  type WebSocketAgreement,
  type WebSocketMessage,
  type WebSocketOptions,
} from "../protocols/mod.ts";
import { offsetMap } from "./offset_map.ts";
import { classifyResumed, dropFront, findFrameStart, joinParts } from "./websocket_resync.ts";

/** Bytes of a direction and the stream offset of their first byte. */
export interface StreamPart {
  data: Uint8Array;
  offset: number;
}

export interface WsMessage extends WebSocketMessage {
  direction: "client" | "server";
  /** the first message read again after a break in its direction (messages before it lost) */
  afterBreak?: boolean;
}

export interface WebSocketExchange {
  agreement: WebSocketAgreement;
  /** read from its middle: the upgrade (and what came before the first whole frame) unseen */
  joined?: boolean;
  /** read again after a break in either direction (messages may be missing between) */
  resynced?: boolean;
  /** client messages, then server messages, each direction in stream order */
  messages: WsMessage[];
  /** protocol errors and unparsed bytes, one line each */
  problems: string[];
}

/** Where a direction's bytes stop following on. */
export interface TunnelBreak {
  /** stream offset of the first byte after the break */
  offset: number;
  /** bytes after it, not parsed */
  rest: number;
  why: string;
}

export interface TunnelInput {
  parts: StreamPart[];
  /** the first break in these bytes, if any (parts end there) */
  broken?: TunnelBreak;
  /** the bytes after it, run by run (each up to the next break) */
  resumed?: StreamPart[][];
}

export interface WebSocketParseOptions {
  maxBufferSize?: number;
  maxMessageSize?: number;
  /** the `index` of the first message (a direction read again after a break) */
  firstIndex?: number;
}

export type Deflate = WebSocketOptions["deflate"];

/** A direction's permessage-deflate, as its handshake agreed. */
function agreedDeflate(agreement: WebSocketAgreement, direction: "client" | "server"): Deflate {
  const d = agreement.deflate;
  return d
    ? direction === "client"
      ? { windowBits: d.clientMaxWindowBits, noContextTakeover: d.clientNoContextTakeover }
      : { windowBits: d.serverMaxWindowBits, noContextTakeover: d.serverNoContextTakeover }
    : null;
}

/** Parses one direction's bytes into `messages`, its errors and unparsed bytes into `problems`. */
export function parseDirection(
  direction: "client" | "server",
  input: TunnelInput,
  deflate: Deflate,
  options: WebSocketParseOptions,
  messages: WsMessage[],
  problems: string[],
): void {
  const at = offsetMap(input.parts);
  const parser = createWebSocketParser({
    onMessage(m) {
      messages.push({ ...m, firstByte: at(m.firstByte), lastByte: at(m.lastByte), direction });
    },
    onError(e) {
      const where = e.offset === undefined ? "" : ` at stream offset ${at(e.offset)}`;
      problems.push(
        `WebSocket ${direction}: ${e.message.replace(/ \(at stream offset \d+\)$/, "")}${where}`,
      );
    },
  }, {
    sender: direction,
    deflate,
    maxBufferSize: options.maxBufferSize,
    maxMessageSize: options.maxMessageSize,
    firstIndex: options.firstIndex,
  });
  for (const p of input.parts) parser.feed(p.data);
  parser.end();
  if (input.broken) {
    const read = input.resumed?.length
      ? resume(direction, input.resumed, deflate, options, messages, problems)
      : "";
    problems.push(
      `WebSocket ${direction} stream broken at offset ${input.broken.offset} (${input.broken.why});` +
        (read ||
          ` ${input.broken.rest} bytes after it not parsed (frames cannot be found again` +
            `${
              deflate && !deflate.noContextTakeover ? ", and the compression window is lost" : ""
            })`),
    );
  }
}

/**
 * Reads a direction again after its breaks, run by run, each from its first whole frame
 * (websocket_resync.ts), a compressed message against an unknown window: what was read and what
 * was lost, for the problem line ("" when nothing could be).
 */
function resume(
  direction: "client" | "server",
  runs: StreamPart[][],
  deflate: Deflate,
  options: WebSocketParseOptions,
  messages: WsMessage[],
  problems: string[],
): string {
  let recovered = 0;
  let other = 0;
  let damaged = 0;
  let skipped = 0;
  let unread = 0;
  for (const run of runs) {
    const bytes = joinParts(run);
    const start = findFrameStart(bytes, direction);
    if (!start) {
      unread += bytes.length;
      continue;
    }
    skipped += start.skipped;
    const before = messages.length;
    const firstIndex = messages.filter((m) => m.direction === direction).length;
    parseDirection(
      direction,
      { parts: dropFront(run, start.at) },
      deflate && { ...deflate, unknownHistory: true },
      { ...options, firstIndex },
      messages,
      problems,
    );
    if (messages.length > before) messages[before].afterBreak = true;
    const c = classifyResumed(messages.slice(before));
    recovered += c.plain + c.recovered;
    other += c.other;
    damaged += c.damaged;
  }
  if (recovered + other + damaged === 0 && unread > 0 && skipped === 0) return "";
  return ` read again from the first whole frame after each of ${runs.length} break(s): ` +
    `${recovered} message(s) recovered${
      other ? `, ${other} not compressed and not JSON (kept as read)` : ""
    }, ${damaged} damaged (${
      deflate && !deflate.noContextTakeover
        ? "compressed ones against a window lost at the break, "
        : ""
    }${skipped} bytes before a whole frame skipped${
      unread ? `, ${unread} bytes in no run of frames not read` : ""
    })`;
}

/** Parses both directions of an upgraded exchange. */
export function parseWebSocketExchange(
  agreement: WebSocketAgreement,
  client: TunnelInput,
  server: TunnelInput,
  options: WebSocketParseOptions = {},
): WebSocketExchange {
  const messages: WsMessage[] = [];
  const problems = agreement.problems.map((p) => `WebSocket handshake: ${p}`);
  for (const [direction, input] of [["client", client], ["server", server]] as const) {
    parseDirection(
      direction,
      input,
      agreedDeflate(agreement, direction),
      options,
      messages,
      problems,
    );
  }
  const resynced = !!(client.resumed?.length || server.resumed?.length);
  return { agreement, messages, problems, ...(resynced ? { resynced } : {}) };
}
