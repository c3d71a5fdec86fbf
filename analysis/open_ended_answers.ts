/**
 * Answers a client need not read to their end, so that one left unfinished in a recording is
 * nothing the capture missed (no `incomplete` problem), on HTTP/1.1 and HTTP/2 alike:
 *
 * - MCP's server event stream: the `GET` with which a streamable-HTTP client (it sends its
 *   `Mcp-Session-Id` or `MCP-Protocol-Version`) opens an event stream for the server's own
 *   messages, or the `GET` of the HTTP+SSE transport (2024-11-05) whose first event is
 *   `endpoint`. The server keeps it open for the session; the client closes it when it is done
 *   (it may at any time: MCP's streamable HTTP transport), by closing the connection on HTTP/1.1,
 *   by RST_STREAM or the connection on HTTP/2. Only a stream whose last recorded event is whole:
 *   one that ends inside an event was cut short.
 * - The `DELETE` with an `Mcp-Session-Id` that ends a streamable-HTTP session: the client need
 *   not wait for its answer (Codex exits without reading it, or reading only its head).
 * - A `POST` whose JSON-RPC body (one message, or a batch) holds no request: only notifications
 *   (a method, no id) and responses (an id with a result or an error), as the client's answer to
 *   a request of the server's (Claude Code answers server-everything's `roots/list` and may
 *   exit before reading the acknowledgement), when its answer is a `202 Accepted` (or no answer
 *   was read at all). JSON-RPC answers no notification nor response; MCP's streamable HTTP
 *   (2025-03-26 on) answers such a POST it accepts with `202 Accepted` and no body, and the
 *   SDKs' HTTP+SSE servers (2024-11-05, whose spec does not say what a POST's answer is) answer
 *   every POST `202 Accepted` (the body `Accepted`; JSON-RPC answers travel on the event
 *   stream): that answer holds nothing for the client. A server that cannot accept the input
 *   answers an error status (e.g. `400 Bad Request`), whose body may be a JSON-RPC error with no
 *   id: an error status, which may carry a JSON-RPC error, is still said when cut short, as is
 *   any other status. (A request whose `id` is null, which `protocols/jsonrpc.ts` counts a
 *   notification, is covered so too: a server answers it with an error status or a result,
 *   said when cut short; only an answer to it of which no byte was read goes unsaid.) A POST that carries a request is not one of them: over streamable HTTP its answer is
 *   the result. (Over HTTP+SSE a request's POST is acknowledged alone too, but one connection's
 *   exchanges do not tell that transport: its unread acknowledgement stays `incomplete`, and a
 *   request never answered on the event stream is the MCP tables' own `mcp_unanswered`
 *   problem.)
 */
import type { Exchange } from "./connection_parser.ts";
import { parseJsonRpcBody } from "../protocols/jsonrpc.ts";

/** Whether a request asks for an event stream (its `Accept` names `text/event-stream`). */
function acceptsEventStream(x: Exchange): boolean {
  return (x.request?.lookup["accept"] ?? []).some((v) => /text\/event-stream/i.test(v));
}

function has(x: Exchange, name: string): boolean {
  return (x.request?.lookup[name]?.[0]?.length ?? 0) > 0;
}

/**
 * MCP's server event stream (module doc), given the events read from its answer (type, and
 * whether the stream ended inside it), left open by the client with each event whole.
 */
export function isMcpEventStream(
  x: Exchange,
  events: readonly { type: string; incomplete: boolean }[],
): boolean {
  const r = x.response;
  if (x.request?.method !== "GET" || !r || r.status === null || r.status < 200 || r.status > 299) {
    return false;
  }
  const type = (r.lookup["content-type"]?.[0] ?? "").toLowerCase();
  if (!type.startsWith("text/event-stream") || !acceptsEventStream(x)) return false;
  if (events.at(-1)?.incomplete) return false;
  return has(x, "mcp-session-id") || has(x, "mcp-protocol-version") ||
    events[0]?.type === "endpoint";
}

/** The `DELETE` that ends a streamable-HTTP MCP session (module doc). */
export function endsMcpSession(x: Exchange): boolean {
  return x.request?.method === "DELETE" && has(x, "mcp-session-id");
}

/**
 * Whether a request body, whole and content-decoded, is JSON-RPC 2.0 without a request:
 * notifications and responses alone, one message or a batch (module doc). A body that is not
 * JSON, not all JSON-RPC (a batch with one member that is not), or an empty batch is not one.
 * The one rule for a POST's body, over TLS (`postsNoJsonRpcRequest`) and over loopback
 * (`mcp/http_messages.ts`).
 */
export function holdsNoJsonRpcRequest(body: Uint8Array): boolean {
  const parsed = parseJsonRpcBody(new TextDecoder().decode(body));
  return parsed !== null && parsed.problems.length === 0 && parsed.messages.length > 0 &&
    parsed.messages.every((m) => m.kind !== "request");
}

/**
 * A `POST`, whole, whose body (content-decoded; `body`: null when not kept) holds no JSON-RPC
 * request (`holdsNoJsonRpcRequest`), answered by a `202 Accepted` or by nothing read at all
 * (module doc). An answer of any other status (an error status, which may carry a JSON-RPC
 * error) is the server's word on the POST: cut short, it is still `incomplete`.
 */
export function postsNoJsonRpcRequest(x: Exchange, body: Uint8Array | null): boolean {
  if (x.request?.method !== "POST" || !x.request.complete || body === null) return false;
  if (x.response && x.response.status !== 202) return false;
  return holdsNoJsonRpcRequest(body);
}

/**
 * Whether the client need not read this exchange's answer to its end (module doc), given the
 * events read from its answer and its request's body, content-decoded (null: none kept).
 */
export function answerMayStayOpen(
  x: Exchange,
  events: readonly { type: string; incomplete: boolean }[],
  requestBody: Uint8Array | null,
): boolean {
  return endsMcpSession(x) || isMcpEventStream(x, events) || postsNoJsonRpcRequest(x, requestBody);
}
