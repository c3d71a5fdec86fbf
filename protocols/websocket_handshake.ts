/**
 * The WebSocket opening handshake over HTTP/1.1 (RFC 6455 4): whether a request asks for a
 * WebSocket, the `Sec-WebSocket-Accept` a server must answer its key with, and what a
 * request/response pair agreed — a switch to WebSocket (101 with the right accept value) and
 * the `permessage-deflate` parameters (RFC 7692), as options for each direction's parser.
 */
import { createHash } from "node:crypto";
import type { HeaderLookup } from "./header_fields.ts";
import { acceptedDeflate, type DeflateParams, parseExtensions } from "./permessage_deflate.ts";

const GUID = "258EAFA5-E914-47DA-95CA-C5AB0DC85B11";

/** The `Sec-WebSocket-Accept` value for a `Sec-WebSocket-Key`. */
export function websocketAccept(key: string): string {
  return createHash("sha1").update(key.trim() + GUID).digest("base64");
}

const tokens = (v: string[] | undefined) =>
  (v ?? []).flatMap((x) => x.split(",")).map((t) => t.trim().toLowerCase());

/** True for a request that asks to switch to WebSocket (`Upgrade: websocket`). */
export function isWebSocketRequest(request: HeaderLookup): boolean {
  return tokens(request["upgrade"]).includes("websocket");
}

export interface WebSocketAgreement {
  /** the server switched to WebSocket */
  switched: boolean;
  /** permessage-deflate as agreed, or null */
  deflate: DeflateParams | null;
  /** the extensions the client offered, as sent */
  offered: string | null;
  /** the extensions the server accepted, as sent */
  accepted: string | null;
  /** what does not follow RFC 6455 / 7692, one line each (the parsers still try) */
  problems: string[];
}

/** What a WebSocket request and its response agreed. */
export function websocketAgreement(
  request: HeaderLookup,
  status: number | undefined,
  response: HeaderLookup | undefined,
): WebSocketAgreement {
  const problems: string[] = [];
  const offered = request["sec-websocket-extensions"]?.join(", ") ?? null;
  const accepted = response?.["sec-websocket-extensions"]?.join(", ") ?? null;
  const out: WebSocketAgreement = { switched: false, deflate: null, offered, accepted, problems };
  if (status !== 101 || !response) return out;
  out.switched = true;
  if (!tokens(response["upgrade"]).includes("websocket")) {
    problems.push("101 response without Upgrade: websocket");
  }
  const key = request["sec-websocket-key"]?.[0];
  const accept = response["sec-websocket-accept"]?.[0];
  if (key && accept !== undefined && accept.trim() !== websocketAccept(key)) {
    problems.push("Sec-WebSocket-Accept does not match the request's key");
  }
  const exts = parseExtensions(response["sec-websocket-extensions"]);
  if (exts === null) {
    problems.push(`malformed Sec-WebSocket-Extensions: ${accepted}`);
    return out;
  }
  try {
    out.deflate = acceptedDeflate(exts);
  } catch (e) {
    // the server did accept the extension: decode with RFC 7692's defaults
    problems.push((e as Error).message);
    out.deflate = {
      serverNoContextTakeover: false,
      clientNoContextTakeover: false,
      serverMaxWindowBits: 15,
      clientMaxWindowBits: 15,
    };
  }
  return out;
}
