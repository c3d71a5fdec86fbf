/**
 * A WebSocket client for the model server's tests, as Codex's tungstenite behaves: TLS to the
 * server (trusting its CA), an upgrade request offering `permessage-deflate;
 * client_max_window_bits`, masked client frames (compressed with context takeover, or not, as
 * the server agreed) and the server's frames read with the analysis's parser. It keeps every
 * frame's raw bytes too, so tests can check what went over the wire.
 */

import {
  createHttp1ResponseParser,
  createWebSocketParser,
  encodeWebSocketFrame,
  type Http1Head,
  websocketAccept,
  type WebSocketAgreement,
  websocketAgreement,
  type WebSocketMessage,
} from "../../../protocols/mod.ts";
import { concatBytes } from "../../../kit/bytes.ts";
import type { ModelServer } from "../server.ts";
import { messageDeflater } from "../websocket_session.ts";

export interface WsTestClient {
  head: Http1Head;
  agreement: WebSocketAgreement;
  /** Sends a JSON object as one text message. */
  send(value: unknown): Promise<void>;
  /** The next server data message, parsed as JSON. */
  next(): Promise<Record<string, unknown>>;
  /** Server messages until one whose type is terminal (response.completed, error, ...). */
  untilDone(): Promise<Record<string, unknown>[]>;
  /** Every server message so far (control frames too). */
  received: WebSocketMessage[];
  /** The server's bytes after the 101 head, as sent. */
  rawServerBytes(): Uint8Array;
  close(): Promise<void>;
}

const enc = new TextEncoder();
const dec = new TextDecoder();

export async function wsTestClient(
  server: ModelServer,
  path = "/v1/responses",
  opts: { offer?: string | null; headers?: Record<string, string> } = {},
): Promise<WsTestClient> {
  const conn = await Deno.connectTls({
    hostname: server.hostname,
    port: server.port,
    caCerts: [await Deno.readTextFile(server.caCertPath)],
  });
  const key = btoa(String.fromCharCode(...crypto.getRandomValues(new Uint8Array(16))));
  const offer = opts.offer === undefined
    ? "permessage-deflate; client_max_window_bits"
    : opts.offer;
  const lines = [
    `GET ${path} HTTP/1.1`,
    `Host: ${server.hostname}:${server.port}`,
    "Connection: Upgrade",
    "Upgrade: websocket",
    "Sec-WebSocket-Version: 13",
    `Sec-WebSocket-Key: ${key}`,
    "authorization: Bearer sk-test-secret",
    ...(offer ? [`sec-websocket-extensions: ${offer}`] : []),
    ...Object.entries(opts.headers ?? {}).map(([k, v]) => `${k}: ${v}`),
  ];
  const writer = conn.writable.getWriter();
  await writer.write(enc.encode(lines.join("\r\n") + "\r\n\r\n"));

  const reader = conn.readable.getReader();
  let head: Http1Head | null = null;
  const after: Uint8Array[] = [];
  const http = createHttp1ResponseParser({
    onHead: (h) => (head = h),
    onTunnelData: (d) => after.push(d.slice()),
  });
  http.expectResponseTo("GET");
  while (!head) {
    const { value, done } = await reader.read();
    if (done) throw new Error("the server closed the connection during the handshake");
    http.feed(value);
  }
  const h = head as Http1Head;
  if (h.status !== 101) {
    throw new Error(`upgrade answered ${h.status}`);
  }
  if (h.lookup["sec-websocket-accept"]?.[0] !== websocketAccept(key)) {
    throw new Error("wrong Sec-WebSocket-Accept");
  }
  const agreement = websocketAgreement(
    { "sec-websocket-key": [key], "sec-websocket-extensions": offer ? [offer] : [] },
    101,
    h.lookup,
  );
  const d = agreement.deflate;
  const received: WebSocketMessage[] = [];
  const raw: Uint8Array[] = [...after];
  const waiting: (() => void)[] = [];
  let ended = false;
  const parser = createWebSocketParser({
    onMessage: (m) => {
      received.push(m);
      waiting.splice(0).forEach((w) => w());
    },
    onError: (e) => {
      throw e;
    },
  }, {
    sender: "server",
    deflate: d
      ? { windowBits: d.serverMaxWindowBits, noContextTakeover: d.serverNoContextTakeover }
      : null,
  });
  for (const a of after) parser.feed(a);
  (async () => {
    while (true) {
      const { value, done } = await reader.read().catch(() => ({ value: undefined, done: true }));
      if (done || !value) break;
      raw.push(value.slice());
      parser.feed(value);
    }
    ended = true;
    waiting.splice(0).forEach((w) => w());
  })();

  const compress = messageDeflater(d?.clientNoContextTakeover ?? false);
  const mask = () => crypto.getRandomValues(new Uint8Array(4));
  let read = 0;
  const next = async (): Promise<Record<string, unknown>> => {
    while (true) {
      const i = received.findIndex((m, k) =>
        k >= read && (m.kind === "text" || m.kind === "binary")
      );
      if (i >= 0) {
        read = i + 1;
        return JSON.parse(dec.decode(received[i].data));
      }
      if (ended) throw new Error("the connection ended");
      await new Promise<void>((r) => waiting.push(r));
    }
  };
  return {
    head: h,
    agreement,
    received,
    rawServerBytes: () => concatBytes(raw),
    async send(value) {
      const payload = enc.encode(JSON.stringify(value));
      const body = d ? await compress(payload) : payload;
      await writer.write(
        encodeWebSocketFrame({ opcode: 1, rsv1: !!d, payload: body, mask: mask() }),
      );
    },
    next,
    async untilDone() {
      const out: Record<string, unknown>[] = [];
      while (true) {
        const e = await next();
        out.push(e);
        if (
          ["response.completed", "response.failed", "response.incomplete", "error"].includes(
            String(e.type),
          )
        ) return out;
      }
    },
    async close() {
      await writer.write(
        encodeWebSocketFrame({ opcode: 8, payload: new Uint8Array([3, 232]), mask: mask() }),
      )
        .catch(() => {});
      const t0 = Date.now();
      while (!ended && Date.now() - t0 < 2000) await new Promise((r) => setTimeout(r, 10));
      try {
        conn.close();
      } catch { /* closed */ }
    },
  };
}
