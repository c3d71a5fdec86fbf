/**
 * What the HTTP heads of an exchange say of the JSON-RPC it carried (MCP's Streamable HTTP
 * transport, 2025-03-26 on; the Agent2Agent protocol): the endpoint's path (a server is one
 * endpoint path: two servers behind one host:port are two paths), the `Mcp-Session-Id` the
 * server assigned in its answer to `initialize` and the client sends on every later request
 * (two sessions of one server: two ids), `MCP-Protocol-Version` (the client's, on every request
 * after `initialize`: MCP's evidence) and `A2A-Version` (the Agent2Agent protocol's). A message
 * takes its exchange's: the request's header, else its answer's (the `initialize` request is
 * sent before its session id exists: it is its answer's). The capture writes a session id as
 * its keyed digest (`protocols/session_digest.ts`: one id, one string in a recording, in every
 * HTTP/1 and HTTP/2 representation, never with a `*`); one it masked names no session: null —
 * any value with a `*` (all `*`s in HTTP/1 or a plain HPACK literal; an HPACK Huffman mask
 * such as `0000_____*`: recordings made before the digest, an id a gap cut, or one with no
 * digest).
 */
import type { HeaderLookup } from "../../protocols/header_fields.ts";

export interface SessionHeaders {
  /** the request target's path (no query), as the endpoint */
  http_path: string | null;
  mcp_session_id: string | null;
  mcp_protocol_version: string | null;
  a2a_version: string | null;
}

const first = (name: string, ...heads: (HeaderLookup | undefined)[]): string | null => {
  for (const h of heads) {
    const v = h?.[name]?.[0]?.trim();
    if (v) return v;
  }
  return null;
};

/** The path of a request target (origin-form `/mcp?x`, or absolute-form `http://h/mcp`). */
export function targetPath(target: string | null | undefined): string | null {
  if (!target) return null;
  const path = target.replace(/^[a-z][a-z0-9+.-]*:\/\/[^/?#]*/i, "").split(/[?#]/)[0];
  return path === "" ? "/" : path;
}

/** The session headers of an exchange: its request's head and its answer's, when recorded. */
export function sessionHeaders(
  target: string | null | undefined,
  request: HeaderLookup | undefined,
  response: HeaderLookup | undefined,
): SessionHeaders {
  const id = first("mcp-session-id", request, response);
  return {
    http_path: targetPath(target),
    mcp_session_id: id === null || id.includes("*") ? null : id,
    mcp_protocol_version: first("mcp-protocol-version", request, response),
    a2a_version: first("a2a-version", request, response),
  };
}

/**
 * MCP's HTTP+SSE session (2024-11-05): the `sessionId` parameter of a URL (the TypeScript
 * SDK's; the Python SDK, FastMCP, names it `session_id`) — the `endpoint`
 * event's, and every POST's target to it — as the capture wrote it (a keyed digest,
 * `protocols/session_digest.ts` `digestParam`: the same string in both places, so two
 * sessions are two); null when there is none, or it was masked (any `*`: recordings made
 * before the digest, a value cut by a gap, HTTP/2 DATA).
 */
export function sseSessionId(url: string | null | undefined): string | null {
  const m = url ? /[?&]session_?id=([^&#\s]*)/i.exec(url) : null;
  return m && m[1] !== "" && !m[1].includes("*") ? m[1] : null;
}

/** No exchange (stdio): none. */
export const NO_SESSION_HEADERS: SessionHeaders = {
  http_path: null,
  mcp_session_id: null,
  mcp_protocol_version: null,
  a2a_version: null,
};
