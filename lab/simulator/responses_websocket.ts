/**
 * OpenAI Responses over WebSocket (`wss://…/v1/responses`, as Codex uses it) for the scripted
 * model server. Each `response.create` text message is a turn: its fields are a Responses
 * request body (`stream` implied); a `previous_response_id` continues an earlier response of
 * this connection, whose input and output the server keeps, so the message carries only the
 * new input items; `generate: false` warms up (an empty response to chain from). The turn
 * goes through the same handler as `POST /v1/responses` (script, log, transcript), and the
 * server-sent events it renders go back as text messages, one event each. An HTTP error
 * becomes an `error` event with its `status`, as the real endpoint sends it;
 * `response.processed` acknowledgements are taken silently.
 */

import { isResponsesPath, pathOf } from "../../analysis/llm/route.ts";
import { createSseParser } from "../../protocols/mod.ts";
import { concatBytes } from "../../kit/bytes.ts";
import type { IncomingRequest, RequestHandler, ResponseWriter } from "./http_listener.ts";
import type { UpgradeRequest } from "./tls_front.ts";
import {
  runWebSocketSession,
  type SessionOptions,
  type WebSocketSession,
} from "./websocket_session.ts";

type Obj = Record<string, unknown>;

const enc = new TextEncoder();
const dec = new TextDecoder();

/** Headers of the upgrade request that do not belong on the turns' requests. */
const HOP = new Set([
  "connection",
  "upgrade",
  "sec-websocket-key",
  "sec-websocket-version",
  "sec-websocket-extensions",
]);

/** What the server keeps of each response, to continue from it. */
interface Kept {
  input: unknown[];
  output: unknown[];
}

function errorEvent(status: number, message: string, code: string | null = null): string {
  return JSON.stringify({
    type: "error",
    status,
    error: {
      type: status >= 500 ? "server_error" : "invalid_request_error",
      code,
      message,
    },
  });
}

/**
 * A writer that turns the handler's response into WebSocket messages: each server-sent event's
 * data as one text message, or one `error` event for a non-2xx response.
 */
function eventWriter(
  session: WebSocketSession,
  onEvent: (event: Obj) => void,
): ResponseWriter & { done: Promise<void> } {
  let status = 200;
  const body: Uint8Array[] = [];
  let sends: Promise<void> = Promise.resolve();
  const sse = createSseParser({
    onEvent(e) {
      try {
        onEvent(JSON.parse(e.data));
      } catch { /* not JSON: sent as it is */ }
      sends = sends.then(() => session.sendText(e.data));
    },
  });
  let finish!: () => void;
  const done = new Promise<void>((r) => (finish = r));
  let dropped = false;
  const feed = (chunk: string | Uint8Array) => {
    const bytes = typeof chunk === "string" ? enc.encode(chunk) : chunk;
    if (status < 300) sse.feed(bytes);
    else body.push(bytes);
  };
  return {
    done,
    get closed() {
      return dropped;
    },
    abort() {
      // the connection drops mid-answer: what was sent goes out, then no close frame
      dropped = true;
      sends = sends.then(() => session.drop());
      sends.then(finish, finish);
      return sends;
    },
    writeHead(s) {
      status = s;
    },
    write(chunk) {
      feed(chunk);
      return sends;
    },
    async end(chunk) {
      if (chunk !== undefined) feed(chunk);
      if (status < 300) {
        sse.end();
      } else {
        const text = dec.decode(concatBytes(body));
        let error: unknown;
        try {
          error = (JSON.parse(text) as Obj).error;
        } catch { /* not JSON */ }
        const ev = error && typeof error === "object"
          ? JSON.stringify({ type: "error", status, error })
          : errorEvent(status, text.trim() || `HTTP ${status}`);
        sends = sends.then(() => session.sendText(ev));
      }
      await sends;
      finish();
    },
  };
}

/** The WebSocket handler of the model server's `/v1/responses` (and `/responses`). */
export function responsesWebSocket(
  handler: RequestHandler,
  options: SessionOptions,
): (conn: Deno.Conn, request: UpgradeRequest, rest: Uint8Array) => Promise<void> {
  return async (conn, request, rest) => {
    const path = pathOf(request.url);
    if (!isResponsesPath(path)) {
      const text = `no WebSocket endpoint at ${path}\n`;
      const w = conn.writable.getWriter();
      await w.write(enc.encode(
        `HTTP/1.1 404 Not Found\r\ncontent-type: text/plain\r\ncontent-length: ${
          enc.encode(text).length
        }\r\nconnection: close\r\n\r\n${text}`,
      )).catch(() => {});
      return;
    }
    const headers: Record<string, string> = {};
    for (const [k, v] of Object.entries(request.headers)) if (!HOP.has(k)) headers[k] = v;
    const kept = new Map<string, Kept>();
    await runWebSocketSession(conn, request, rest, options, async (m, session) => {
      let msg: Obj;
      try {
        msg = JSON.parse(dec.decode(m.data));
        if (!msg || typeof msg !== "object" || Array.isArray(msg)) throw new Error("not an object");
      } catch {
        await session.sendText(errorEvent(400, "the message is not a JSON object"));
        return;
      }
      if (msg.type === "response.processed") return;
      if (msg.type !== "response.create") {
        await session.sendText(errorEvent(400, `unknown event type ${JSON.stringify(msg.type)}`));
        return;
      }
      const { type: _type, previous_response_id: prev, ...body } = msg;
      let input = Array.isArray(body.input)
        ? body.input
        : typeof body.input === "string"
        ? [{ type: "message", role: "user", content: body.input }]
        : [];
      if (typeof prev === "string") {
        const before = kept.get(prev);
        if (!before) {
          await session.sendText(errorEvent(
            400,
            `Previous response with id '${prev}' not found.`,
            "previous_response_not_found",
          ));
          return;
        }
        input = [...before.input, ...before.output, ...input];
      }
      const full = { ...body, input, stream: true };
      const req: IncomingRequest = {
        method: "POST",
        url: request.url,
        headers,
        body: enc.encode(JSON.stringify(full)),
        httpVersion: "websocket",
        authority: request.headers.host ?? "",
      };
      const out = eventWriter(session, (ev) => {
        const r = ev.response as Obj | undefined;
        // an answer cut by the output limit is kept too: a later request may continue it
        const ended = ev.type === "response.completed" || ev.type === "response.incomplete";
        if (ended && r && typeof r.id === "string") {
          kept.set(r.id, { input, output: Array.isArray(r.output) ? r.output : [] });
        }
      });
      try {
        await handler(req, out);
        await out.done;
      } catch (e) {
        await session.sendText(errorEvent(500, `internal error: ${(e as Error).message}`));
      }
    });
  };
}
