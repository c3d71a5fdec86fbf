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

/** Bytes of a direction and the stream offset of their first byte. */
export interface StreamPart {
  data: Uint8Array;
  offset: number;
}

export interface WsMessage extends WebSocketMessage {
  direction: "client" | "server";
}

export interface WebSocketExchange {
  agreement: WebSocketAgreement;
  /** read from its middle: the upgrade (and what came before the first whole frame) unseen */
  joined?: boolean;
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
}

export interface WebSocketParseOptions {
  maxBufferSize?: number;
  maxMessageSize?: number;
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
  });
  for (const p of input.parts) parser.feed(p.data);
  parser.end();
  if (input.broken) {
    problems.push(
      `WebSocket ${direction} stream broken at offset ${input.broken.offset} (${input.broken.why});` +
        ` ${input.broken.rest} bytes after it not parsed (frames cannot be found again` +
        `${deflate && !deflate.noContextTakeover ? ", and the compression window is lost" : ""})`,
    );
  }
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
  return { agreement, messages, problems };
}
