/**
 * The server side of one WebSocket connection (RFC 6455) for the scripted model server: answers
 * the opening handshake (101, `Sec-WebSocket-Accept`), negotiates `permessage-deflate`
 * (RFC 7692) as configured — with context takeover, without it (both
 * `*_no_context_takeover`), or refused — reads the client's frames with the analysis's own
 * parser, answers pings and the close handshake, and sends text messages, compressed when
 * agreed and cut into frames of at most `fragmentSize` payload bytes, each frame written on
 * its own (so in its own TLS record).
 */

import * as zlib from "node:zlib";
import {
  createWebSocketParser,
  encodeWebSocketFrame,
  parseExtensions,
  websocketAccept,
  type WebSocketMessage,
} from "../../protocols/mod.ts";
import { concatBytes } from "../../kit/bytes.ts";
import type { UpgradeRequest } from "./tls_front.ts";

/** How the server answers a client's offer of permessage-deflate. */
export type WebSocketCompression = "context-takeover" | "no-context-takeover" | "off";

export const WEBSOCKET_COMPRESSIONS: readonly WebSocketCompression[] = [
  "context-takeover",
  "no-context-takeover",
  "off",
];

export interface SessionOptions {
  compression: WebSocketCompression;
  /** largest payload of one frame sent; longer messages are fragmented (default 16 KiB) */
  fragmentSize?: number;
  /** extra response headers for the 101 */
  headers?: Record<string, string>;
}

export interface WebSocketSession {
  /** what was agreed, as sent in the 101 (null: no extension) */
  extensions: string | null;
  /** Sends one text message (in order; resolves once written). */
  sendText(text: string): Promise<void>;
  /** Sends a close frame and ends the connection. */
  close(code?: number, reason?: string): Promise<void>;
  /** Ends the connection at once, with no close frame (a dropped connection). */
  drop(): Promise<void>;
}

const enc = new TextEncoder();

/** Compresses messages as RFC 7692 7.2.1 says: sync flush, the 00 00 ff ff tail removed. */
export function messageDeflater(
  noContextTakeover: boolean,
): (data: Uint8Array) => Promise<Uint8Array> {
  let d: zlib.DeflateRaw | null = null;
  return async (data) => {
    if (!d || noContextTakeover) {
      d?.close();
      d = zlib.createDeflateRaw({ windowBits: 15 });
    }
    const z = d;
    const parts: Uint8Array[] = [];
    const onData = (c: Uint8Array) => parts.push(new Uint8Array(c));
    z.on("data", onData);
    z.write(data);
    await new Promise<void>((r) => z.flush(zlib.constants.Z_SYNC_FLUSH, () => r()));
    z.off("data", onData);
    const all = concatBytes(parts);
    return all.subarray(0, all.length - 4);
  };
}

/**
 * Answers the handshake on `conn` and runs the session: `onMessage` gets each data message
 * the client sends (one at a time: the next waits until the previous handler is done).
 * Resolves when the connection ends. A request that is not a valid WebSocket handshake gets a
 * 400 and the connection is closed.
 */
export async function runWebSocketSession(
  conn: Deno.Conn,
  request: UpgradeRequest,
  rest: Uint8Array,
  options: SessionOptions,
  onMessage: (m: WebSocketMessage, session: WebSocketSession) => Promise<void>,
): Promise<void> {
  const writer = conn.writable.getWriter();
  const key = request.headers["sec-websocket-key"];
  if (!key || request.headers["sec-websocket-version"] !== "13") {
    await writer.write(enc.encode(
      "HTTP/1.1 400 Bad Request\r\ncontent-type: text/plain\r\ncontent-length: 28\r\n" +
        "connection: close\r\n\r\nnot a WebSocket handshake\r\n\r\n",
    )).catch(() => {});
    return;
  }
  const offers = parseExtensions(
    request.headers["sec-websocket-extensions"]
      ? [request.headers["sec-websocket-extensions"]]
      : [],
  ) ?? [];
  const offered = offers.some((e) => e.name === "permessage-deflate");
  const deflate = offered && options.compression !== "off";
  const noTakeover = options.compression === "no-context-takeover";
  const extensions = deflate
    ? noTakeover
      ? "permessage-deflate; server_no_context_takeover; client_no_context_takeover"
      : "permessage-deflate"
    : null;
  const lines = [
    "HTTP/1.1 101 Switching Protocols",
    "upgrade: websocket",
    "connection: Upgrade",
    `sec-websocket-accept: ${websocketAccept(key)}`,
    ...(extensions ? [`sec-websocket-extensions: ${extensions}`] : []),
    ...Object.entries(options.headers ?? {}).map(([k, v]) => `${k}: ${v}`),
  ];
  await writer.write(enc.encode(lines.join("\r\n") + "\r\n\r\n"));

  const fragmentSize = options.fragmentSize ?? 16 * 1024;
  const compress = deflate ? messageDeflater(noTakeover) : null;
  let sending = Promise.resolve();
  let closed = false;
  const write = (bytes: Uint8Array) => {
    const next = sending.then(() => closed ? undefined : writer.write(bytes)).catch(() => {
      closed = true;
    });
    sending = next;
    return next;
  };
  const sendMessage = async (opcode: number, payload: Uint8Array) => {
    let data = payload;
    let rsv1 = false;
    if (compress && (opcode === 1 || opcode === 2)) {
      data = await compress(payload);
      rsv1 = true;
    }
    // each frame its own write (so its own TLS record)
    for (let at = 0; at === 0 || at < data.length; at += fragmentSize) {
      await write(encodeWebSocketFrame({
        opcode: at === 0 ? opcode : 0,
        rsv1: rsv1 && at === 0,
        fin: at + fragmentSize >= data.length,
        payload: data.subarray(at, at + fragmentSize),
      }));
    }
  };
  // compression must keep message order: one send at a time
  let queue = Promise.resolve();
  const session: WebSocketSession = {
    extensions,
    sendText(text) {
      queue = queue.then(() => sendMessage(1, enc.encode(text)));
      return queue;
    },
    async close(code = 1000, reason = "") {
      if (closed) return;
      const payload = concatBytes([new Uint8Array([code >> 8, code & 0xff]), enc.encode(reason)]);
      await queue;
      await write(encodeWebSocketFrame({ opcode: 8, payload }));
      closed = true;
    },
    async drop() {
      await queue.catch(() => {});
      await sending;
      closed = true;
      try {
        conn.close();
      } catch { /* closed */ }
    },
  };

  const pending: WebSocketMessage[] = [];
  let wake = null as (() => void) | null;
  let ended = false;
  const parser = createWebSocketParser({
    onMessage(m) {
      pending.push(m);
      wake?.();
    },
    onError() {
      ended = true;
      wake?.();
    },
  }, {
    sender: "client",
    deflate: deflate ? { windowBits: 15, noContextTakeover: noTakeover } : null,
  });
  // reader: feeds the parser; the loop below handles messages in order
  const reading = (async () => {
    try {
      if (rest.length) parser.feed(rest);
      for await (const chunk of conn.readable) {
        parser.feed(chunk);
        if (ended) break;
      }
    } catch { /* the client went away */ }
    parser.end();
    ended = true;
    wake?.();
  })();
  while (true) {
    while (pending.length === 0 && !ended) await new Promise<void>((r) => (wake = r));
    wake = null;
    const m = pending.shift();
    if (!m) break;
    if (m.kind === "ping") await write(encodeWebSocketFrame({ opcode: 10, payload: m.data }));
    else if (m.kind === "close") {
      await session.close(m.closeCode ?? 1000);
      break;
    } else if (m.kind === "text" || m.kind === "binary") {
      await onMessage(m, session).catch(() => session.close(1011, "internal error"));
    }
  }
  await queue.catch(() => {});
  await sending;
  closed = true;
  try {
    writer.releaseLock();
    conn.close();
  } catch { /* closed */ }
  await reading.catch(() => {});
}
