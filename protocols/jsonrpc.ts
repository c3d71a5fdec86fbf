/**
 * JSON-RPC 2.0 message streams as MCP's stdio transport carries them, for a byte stream
 * delivered in arbitrary chunks: newline-delimited JSON (the MCP stdio transport: one message
 * per line, no embedded newlines) or `Content-Length:` framing (LSP-style headers, CRLF CRLF,
 * then exactly that many bytes of JSON), told apart by the first non-blank bytes of the stream.
 *
 * Every message is reported with its stream offsets (`firstByte`, `lastByte`: the byte that
 * completed it) and a classification: `request` (method and id), `notification` (method, no id),
 * `response` (id and result), `error` (id and error). A JSON array is a batch: each element is
 * reported as its own message with the same offsets and its `batchIndex`. A line or body that is
 * not JSON, or JSON that is not a JSON-RPC 2.0 message, is reported through `onError` (code
 * `syntax`) and skipped: the stream goes on at the next line or frame. A newline-delimited
 * stream's final line without its newline is still parsed at `end()` (`incomplete`).
 *
 * Bounded: a line, a header block or a declared body longer than `maxBufferSize` is an error
 * (`buffer-limit`); the parser then skips to the next newline (newline framing) or stops
 * (`Content-Length` framing, where the frame boundary is lost).
 */

import { ProtocolError } from "./protocol_error.ts";

export type JsonRpcKind = "request" | "notification" | "response" | "error";
/** `http`: an HTTP body; `sse`: a server-sent event's data (MCP over HTTP, `mcp_http.ts`) */
export type JsonRpcFraming = "newline" | "content-length" | "http" | "sse";

export interface JsonRpcMessage {
  /** 0-based count of messages emitted by this parser. */
  index: number;
  kind: JsonRpcKind;
  /** The id as JSON text (`1`, `"abc"`), or undefined for notifications. */
  id?: string;
  method?: string;
  params?: unknown;
  result?: unknown;
  error?: { code?: number; message?: string; data?: unknown };
  /** The message's JSON text (the whole batch's for batch elements). */
  text: string;
  framing: JsonRpcFraming;
  /** Element index inside a batch array, else undefined. */
  batchIndex?: number;
  firstByte: number;
  lastByte: number;
  /** The stream ended before the message's terminator (newline framing only). */
  incomplete: boolean;
}

export interface JsonRpcCallbacks {
  onMessage(message: JsonRpcMessage): void;
  onError?(error: ProtocolError): void;
}

export interface JsonRpcOptions {
  /** Bound on one line, header block or body, in bytes. Default 64 MiB. */
  maxBufferSize?: number;
  /** Stream offset of the first byte fed. Default 0. */
  startOffset?: number;
}

export interface JsonRpcParser {
  feed(bytes: Uint8Array): void;
  end(): void;
}

const NL = 0x0a;
const CR = 0x0d;
const CONTENT_LENGTH = "content-length:";

type Obj = Record<string, unknown>;

/** The JSON-RPC kind of a parsed value, or a reason it is not a JSON-RPC 2.0 message. */
function classify(v: unknown): { kind: JsonRpcKind } | { problem: string } {
  if (typeof v !== "object" || v === null || Array.isArray(v)) return { problem: "not an object" };
  const o = v as Obj;
  if (o.jsonrpc !== "2.0") return { problem: 'no "jsonrpc": "2.0"' };
  const hasId = "id" in o &&
    (typeof o.id === "string" || typeof o.id === "number" || o.id === null);
  if (typeof o.method === "string") {
    return { kind: hasId && o.id !== null ? "request" : "notification" };
  }
  if (hasId && "result" in o) return { kind: "response" };
  if (hasId && typeof o.error === "object" && o.error !== null) return { kind: "error" };
  return { problem: "neither a request, a notification nor a response" };
}

/** A JSON-RPC message without its place in a stream. */
export type JsonRpcContent = Omit<
  JsonRpcMessage,
  "index" | "framing" | "firstByte" | "lastByte" | "incomplete"
>;

/**
 * The JSON-RPC message(s) of one unit of JSON text (an object, or a batch array), and why any
 * part of it is not one. Blank text is no message and no problem.
 */
export function parseJsonRpcText(
  text: string,
): { messages: JsonRpcContent[]; problems: string[] } {
  const messages: JsonRpcContent[] = [];
  const problems: string[] = [];
  if (text.trim() === "") return { messages, problems };
  let value: unknown;
  try {
    value = JSON.parse(text);
  } catch (e) {
    problems.push(`not JSON: ${(e as Error).message.split("\n")[0]}`);
    return { messages, problems };
  }
  const elements = Array.isArray(value) ? value : [value];
  elements.forEach((el, i) => {
    const c = classify(el);
    if ("problem" in c) {
      problems.push(`not a JSON-RPC 2.0 message: ${c.problem}`);
      return;
    }
    const o = el as Obj;
    messages.push({
      kind: c.kind,
      ...("id" in o && o.id !== null && o.id !== undefined ? { id: JSON.stringify(o.id) } : {}),
      ...(typeof o.method === "string" ? { method: o.method } : {}),
      ...("params" in o ? { params: o.params } : {}),
      ...("result" in o ? { result: o.result } : {}),
      ...(c.kind === "error" ? { error: o.error as JsonRpcMessage["error"] } : {}),
      text,
      ...(Array.isArray(value) ? { batchIndex: i } : {}),
    });
  });
  return { messages, problems };
}

/** Whether text is JSON (an object or an array, after blanks) rather than anything else. */
export function looksLikeJson(text: string | null): text is string {
  return text !== null && /^\s*[[{]/.test(text);
}

/**
 * An HTTP body's (or an SSE event's data) JSON-RPC message(s): null when it is no JSON at all
 * (nothing to report), no messages when it is JSON but no JSON-RPC 2.0. The rule by which MCP
 * over HTTP(S) is told from other JSON on the same connection (an LLM API's request): the
 * analysis reads MCP messages by it (analysis/mcp/https_messages.ts) and the capture masks
 * secrets by it (http1_body_secrets.ts), so both agree on which bodies are MCP's.
 */
export function parseJsonRpcBody(
  text: string | null,
): ReturnType<typeof parseJsonRpcText> | null {
  return looksLikeJson(text) ? parseJsonRpcText(text) : null;
}

/** Whether an HTTP body (an SSE event's data) is JSON-RPC: see `parseJsonRpcBody`. */
export function isJsonRpcBody(text: string | null): boolean {
  return (parseJsonRpcBody(text)?.messages.length ?? 0) > 0;
}

/** Creates a push parser; see the module doc. */
export function createJsonRpcParser(
  callbacks: JsonRpcCallbacks,
  options: JsonRpcOptions = {},
): JsonRpcParser {
  const maxBuffer = options.maxBufferSize ?? 64 * 1024 * 1024;
  const decoder = new TextDecoder();
  /** Offset of the next byte fed. */
  let offset = options.startOffset ?? 0;
  let framing: JsonRpcFraming | undefined;
  /** Bytes of the current unit (line, header block or body) not yet complete. */
  let pending: Uint8Array[] = [];
  let pendingLength = 0;
  /** Stream offset of the first byte of `pending`. */
  let pendingStart = offset;
  /** Newline framing: discarding an over-long line up to its newline. */
  let skippingLine = false;
  /** Content-Length framing: the declared length of the body being read, or -1 in headers. */
  let bodyLength = -1;
  let stopped = false;
  let count = 0;

  const fail = (code: ProtocolError["code"], message: string, at: number) =>
    callbacks.onError?.(new ProtocolError(code, message, at));

  function take(): Uint8Array {
    const out = new Uint8Array(pendingLength);
    let p = 0;
    for (const part of pending) {
      out.set(part, p);
      p += part.length;
    }
    pending = [];
    pendingLength = 0;
    return out;
  }

  function push(bytes: Uint8Array, start: number) {
    if (pendingLength === 0) pendingStart = start;
    pending.push(bytes.slice());
    pendingLength += bytes.length;
  }

  /** Parses one unit of JSON text and emits its message(s). */
  function emit(bytes: Uint8Array, first: number, last: number, incomplete: boolean) {
    const text = decoder.decode(bytes).trim();
    const { messages, problems } = parseJsonRpcText(text);
    for (const p of problems) fail("syntax", p, first);
    for (const m of messages) {
      callbacks.onMessage({
        ...m,
        index: count++,
        framing: framing!,
        firstByte: first,
        lastByte: last,
        incomplete,
      });
    }
  }

  function feedNewline(bytes: Uint8Array, base: number) {
    let from = 0;
    for (let i = 0; i < bytes.length; i++) {
      if (bytes[i] !== NL) continue;
      if (skippingLine) {
        skippingLine = false;
      } else if (pendingLength + (i - from) > maxBuffer) {
        fail(
          "buffer-limit",
          `a line longer than ${maxBuffer} bytes`,
          pendingLength ? pendingStart : base + from,
        );
        pending = [];
        pendingLength = 0;
      } else {
        push(bytes.subarray(from, i), base + from);
        const first = pendingStart;
        emit(take(), first, base + i, false);
      }
      from = i + 1;
    }
    if (from < bytes.length && !skippingLine) {
      push(bytes.subarray(from), base + from);
      if (pendingLength > maxBuffer) {
        fail("buffer-limit", `a line longer than ${maxBuffer} bytes`, pendingStart);
        pending = [];
        pendingLength = 0;
        skippingLine = true;
      }
    }
  }

  function feedContentLength(bytes: Uint8Array, base: number) {
    let i = 0;
    while (i < bytes.length && !stopped) {
      if (bodyLength < 0) {
        // headers: up to the blank line (CRLF CRLF, or LF LF from lenient writers)
        let end = -1;
        for (let j = i; j < bytes.length; j++) {
          if (bytes[j] !== NL) continue;
          const prevLen = pendingLength + (j - i);
          const prev = byteAt(bytes, i, j - 1);
          const prev2 = byteAt(bytes, i, j - 2);
          if (prev === NL || (prev === CR && prev2 === NL) || prevLen === 0) {
            end = j;
            break;
          }
        }
        if (end < 0) {
          push(bytes.subarray(i), base + i);
          if (pendingLength > maxBuffer) {
            fail("buffer-limit", `a header block longer than ${maxBuffer} bytes`, pendingStart);
            stopped = true;
          }
          return;
        }
        push(bytes.subarray(i, end + 1), base + i);
        const headerStart = pendingStart;
        const head = decoder.decode(take());
        i = end + 1;
        if (head.trim() === "") continue; // stray blank lines between frames
        const m = /(?:^|\n)content-length:[ \t]*(\d+)[ \t]*\r?(?:\n|$)/i.exec(head);
        if (!m) {
          fail("framing", "a header block without Content-Length", headerStart);
          stopped = true;
          return;
        }
        bodyLength = Number(m[1]);
        if (bodyLength > maxBuffer) {
          fail("buffer-limit", `a body of ${bodyLength} bytes (limit ${maxBuffer})`, headerStart);
          stopped = true;
          return;
        }
        frameStart = headerStart;
        if (bodyLength === 0) {
          fail("syntax", "an empty body", headerStart);
          bodyLength = -1;
        }
        continue;
      }
      const want = bodyLength - pendingLength;
      const n = Math.min(want, bytes.length - i);
      push(bytes.subarray(i, i + n), base + i);
      i += n;
      if (pendingLength === bodyLength) {
        const last = base + i - 1;
        bodyLength = -1;
        emit(take(), frameStart, last, false);
      }
    }
  }
  /** Content-Length framing: where the current frame's headers began. */
  let frameStart = 0;

  /** The byte at `j` counting pending bytes before `i` (for a terminator split across feeds). */
  function byteAt(bytes: Uint8Array, i: number, j: number): number | undefined {
    if (j >= i) return bytes[j];
    const back = i - j; // 1 = last pending byte
    let remaining = back;
    for (let k = pending.length - 1; k >= 0; k--) {
      const part = pending[k];
      if (remaining <= part.length) return part[part.length - remaining];
      remaining -= part.length;
    }
    return undefined;
  }

  return {
    feed(bytes: Uint8Array) {
      if (stopped || bytes.length === 0) {
        offset += bytes.length;
        return;
      }
      const base = offset;
      offset += bytes.length;
      if (framing === undefined) {
        // Undecided: keep the bytes (only the first few) until the framing shows.
        push(bytes, base);
        const start = pendingStart;
        const all = take();
        if (!decideFrom(all)) {
          push(all, start);
          if (pendingLength > maxBuffer) {
            fail("buffer-limit", `${pendingLength} blank bytes before any message`, start);
            stopped = true;
          }
          return;
        }
        if (framing === "newline") feedNewline(all, start);
        else feedContentLength(all, start);
        return;
      }
      if (framing === "newline") feedNewline(bytes, base);
      else feedContentLength(bytes, base);
    },
    end() {
      if (stopped) return;
      if (framing === "newline" && pendingLength > 0 && !skippingLine) {
        const first = pendingStart;
        const last = first + pendingLength - 1;
        emit(take(), first, last, true);
      } else if (framing === "content-length" && (pendingLength > 0 || bodyLength >= 0)) {
        fail("truncated", "the stream ended inside a Content-Length frame", frameStart);
      }
      stopped = true;
    },
  };

  /** Looks at the undecided bytes without consuming them. */
  function decideFrom(bytes: Uint8Array): boolean {
    const text = decoder.decode(bytes.subarray(0, Math.min(bytes.length, 64)));
    const head = text.replace(/^[\s\uFEFF]+/, "");
    if (head === "") return false;
    const lower = head.slice(0, CONTENT_LENGTH.length).toLowerCase();
    if (head.length < CONTENT_LENGTH.length && CONTENT_LENGTH.startsWith(lower)) return false;
    framing = lower === CONTENT_LENGTH ? "content-length" : "newline";
    return true;
  }
}
