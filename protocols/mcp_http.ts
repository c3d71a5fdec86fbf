/**
 * JSON-RPC messages of MCP over HTTP/1 — the streamable-HTTP transport (the client POSTs
 * JSON-RPC, the server answers `application/json` or a `text/event-stream` of `message`
 * events, or opens an event stream on a GET) and the older HTTP+SSE transport (a GET event
 * stream whose first event, `endpoint`, names the URL the client then POSTs its messages to;
 * answers come as `message` events on that stream) — from one connection's two byte streams.
 *
 * Two push parsers like `createHttp1Exchange` (whose request parser tells the response parser
 * each request's method): feed the client's bytes to `request` and the server's to `response`,
 * in any order. A JSON body (by its content type, or one that starts with `{` or `[`) is parsed
 * when the message ends (`framing` `http`); an event stream is parsed as it arrives, each
 * event's data as JSON-RPC (`framing` `sse`); the `endpoint` event goes to `onEndpoint`.
 * Offsets are the connection streams' own (`lastByte`: the byte that completed the message),
 * also inside a chunked body. A body with a Content-Encoding (gzip, deflate, br, zstd: what a
 * server's compression middleware sends a client that accepts it) is held until it ends and
 * decoded then, an event stream too, so its messages all carry the body's last byte. A body that
 * is not JSON-RPC, one that does not decode and HTTP that does not parse are reported through
 * `onError`, never thrown; a body above `maxBufferSize` (encoded or decoded) is an error and
 * skipped.
 */
import { createHttp1Exchange, type Http1Head } from "./http1.ts";
import { createSseParser, type SseParser } from "./sse.ts";
import { type JsonRpcMessage, parseJsonRpcText } from "./jsonrpc.ts";
import { ProtocolError } from "./protocol_error.ts";
import { decodeContentSync, parseContentEncoding } from "./content_encoding.ts";

export interface McpHttpMessage extends JsonRpcMessage {
  /** who sent it: `client` (in a request body) or `server` (in a response) */
  side: "client" | "server";
  /** the HTTP message it came in: its index in its stream, and its request line or status */
  httpIndex: number;
  httpMethod?: string;
  target?: string;
  status?: number;
}

export interface McpHttpCallbacks {
  onMessage(message: McpHttpMessage): void;
  /** The HTTP+SSE transport's `endpoint` event: where the client is to POST. */
  onEndpoint?(endpoint: { url: string; lastByte: number; httpIndex: number }): void;
  /** Each HTTP message's head as it is parsed (a request's: the client's; a response's: the
   * server's; `head.index` pairs them): what was asked and what was answered at all. */
  onHead?(side: "client" | "server", head: Http1Head): void;
  /**
   * Each HTTP message's body that is no event stream, content-decoded, when the message ends
   * (`incomplete`: cut short); not called for an empty body, one above `maxBufferSize`, or one
   * that does not decode.
   */
  onBodyEnd?(
    side: "client" | "server",
    head: Http1Head,
    body: Uint8Array,
    incomplete: boolean,
  ): void;
  onError?(error: ProtocolError): void;
}

export interface McpHttpOptions {
  /** Bound on an HTTP head and on one JSON body or event, in bytes. Default 16 MiB. */
  maxBufferSize?: number;
}

export interface McpHttpParser {
  feed(bytes: Uint8Array): void;
  end(): void;
}

interface Body {
  head: Http1Head;
  side: "client" | "server";
  parts: Uint8Array[];
  length: number;
  tooLong: boolean;
  sse?: SseParser;
  /** the body chunk being fed to `sse`: its stream offset and body position */
  at: { offset: number; position: number };
  /** the Content-Encoding codings of a body held until its end to be decoded */
  codings: string[];
  /** an encoded body's last byte: where its messages, decoded at the end, are placed */
  decodedAt?: number;
}

const textDecoder = new TextDecoder();

function contentType(head: Http1Head): string {
  return (head.lookup["content-type"]?.[0] ?? "").split(";")[0].trim().toLowerCase();
}

/** Creates the two parsers of one connection; see the module doc. */
export function createMcpHttpParser(
  callbacks: McpHttpCallbacks,
  options: McpHttpOptions = {},
): { request: McpHttpParser; response: McpHttpParser } {
  const max = options.maxBufferSize ?? 16 * 1024 * 1024;
  let count = 0;
  const fail = (code: ProtocolError["code"], message: string, at?: number) =>
    callbacks.onError?.(new ProtocolError(code, message, at));

  const emit = (
    b: Body,
    text: string,
    framing: "http" | "sse",
    firstByte: number,
    lastByte: number,
    incomplete: boolean,
  ) => {
    const { messages, problems } = parseJsonRpcText(text);
    for (const p of problems) fail("syntax", `MCP over HTTP (${b.side}): ${p}`, firstByte);
    for (const m of messages) {
      callbacks.onMessage({
        ...m,
        index: count++,
        framing,
        firstByte,
        lastByte,
        incomplete,
        side: b.side,
        httpIndex: b.head.index,
        ...(b.head.method ? { httpMethod: b.head.method, target: b.head.target } : {}),
        ...(b.head.status !== undefined ? { status: b.head.status } : {}),
      });
    }
  };

  /** Parses `b`'s body as an event stream: each `message` event's data as JSON-RPC. */
  const startSse = (b: Body) => {
    b.sse = createSseParser({
      onEvent(ev) {
        // event positions are the body's; the stream offset is the chunk's, moved on (a decoded
        // body's events all end at its last byte)
        const last = b.decodedAt ?? b.at.offset + Math.max(0, ev.lastByte - b.at.position);
        const first = b.decodedAt !== undefined
          ? b.head.bodyOffset
          : Math.max(b.head.bodyOffset, last - (ev.lastByte - ev.firstByte));
        if (ev.type === "endpoint") {
          callbacks.onEndpoint?.({ url: ev.data, lastByte: last, httpIndex: b.head.index });
        } else if (/^\s*[[{]/.test(ev.data)) {
          emit(b, ev.data, "sse", first, last, ev.incomplete);
        }
      },
      onError: (e) => fail(e.code, `MCP over HTTP (${b.side}) event stream: ${e.message}`),
    }, { maxBufferSize: max });
  };

  const side = (name: "client" | "server") => {
    let body: Body | null = null;
    return {
      onHead(head: Http1Head) {
        callbacks.onHead?.(name, head);
        body = {
          head,
          side: name,
          parts: [],
          length: 0,
          tooLong: false,
          at: { offset: 0, position: 0 },
          codings: [],
        };
        const codings = parseContentEncoding(head.lookup["content-encoding"]);
        body.codings = head.body === "none" ? [] : codings;
        if (contentType(head) === "text/event-stream" && !body.codings.length) startSse(body);
      },
      onBody(chunk: { data: Uint8Array; offset: number; bodyPosition: number }) {
        const b = body;
        if (!b) return;
        if (b.sse) {
          b.at = { offset: chunk.offset, position: chunk.bodyPosition };
          b.sse.feed(chunk.data);
          return;
        }
        if (b.tooLong) return;
        if (b.length + chunk.data.length > max) {
          b.tooLong = true;
          b.parts = [];
          fail("buffer-limit", `MCP over HTTP (${name}): a body above ${max} bytes`, chunk.offset);
          return;
        }
        b.parts.push(chunk.data.slice());
        b.length += chunk.data.length;
      },
      onMessageEnd(end: { endOffset: number; incomplete: boolean }) {
        const b = body;
        body = null;
        if (!b) return;
        if (b.sse) {
          b.sse.end();
          return;
        }
        if (b.tooLong || b.length === 0) return;
        let bytes: Uint8Array = new Uint8Array(b.length);
        let p = 0;
        for (const part of b.parts) {
          bytes.set(part, p);
          p += part.length;
        }
        if (b.codings.length) {
          try {
            bytes = decodeContentSync(b.codings, bytes, { maxOutputSize: max });
          } catch (e) {
            const err = e instanceof ProtocolError
              ? e
              : new ProtocolError("compression", String(e));
            fail(
              err.code,
              `MCP over HTTP (${name}): a ${b.codings.join(", ")}-encoded body: ${err.message}`,
              b.head.bodyOffset,
            );
            return;
          }
          if (contentType(b.head) === "text/event-stream") {
            b.decodedAt = end.endOffset - 1;
            startSse(b);
            b.sse!.feed(bytes);
            b.sse!.end();
            return;
          }
        }
        callbacks.onBodyEnd?.(name, b.head, bytes, end.incomplete);
        const text = textDecoder.decode(bytes);
        const json = contentType(b.head).endsWith("json") || /^\s*[[{]/.test(text);
        if (json) {
          emit(b, text.trim(), "http", b.head.bodyOffset, end.endOffset - 1, end.incomplete);
        }
      },
      onError: (e: ProtocolError) => fail(e.code, `MCP over HTTP (${name}): ${e.message}`),
    };
  };

  const ex = createHttp1Exchange({ request: side("client"), response: side("server") }, {
    maxBufferSize: max,
  });
  return { request: ex.request, response: ex.response };
}
