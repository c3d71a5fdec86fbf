/**
 * What tells an MCP session from another protocol's JSON-RPC when its `initialize` was not
 * seen (a capture joined mid-session, or a session of MCP 2026-07-28, which has no `initialize`
 * at all). JSON-RPC 2.0 carries other protocols too: the Agent2Agent protocol (A2A: served
 * over HTTP by an agent to other agents and to its users), the Agent Client Protocol, the
 * Language Server Protocol, a blockchain node's RPC. The rule, `notMcpSession` here and
 * `mcp_calls.sql` binding `MCP_SQL_VALUES` (the SQL repeats it; methods_test checks both):
 * - MCP evidence keeps a session MCP whatever else it carries: an `initialize` or a
 *   `server/discover` (2026-07-28's opener), or a `_meta` key `io.modelcontextprotocol/...`
 *   in a message's params or result (2026-07-28 puts the protocol version there on every
 *   request; 2025-11-25's tasks put `io.modelcontextprotocol/related-task` there), or over
 *   HTTP an `MCP-Protocol-Version` header (streamable HTTP's, on every request after
 *   `initialize` from 2025-06-18);
 * - else A2A evidence makes it not MCP: one of A2A's own methods (`message/send`, ...), even
 *   beside the `tasks/get`, `tasks/list`, `tasks/cancel` both protocols name, or an
 *   `A2A-Version` header;
 * - else a session whose messages carry methods, none of them MCP's, is not MCP.
 * MCP's methods are its specification schema's, revisions 2024-11-05 to 2026-07-28: the
 * requests either side sends, and every notification under `notifications/`.
 */

/** MCP's request methods, either way (notifications are every `notifications/...`). */
export const MCP_REQUEST_METHODS: readonly string[] = [
  "initialize",
  "ping",
  "tools/list",
  "tools/call",
  "resources/list",
  "resources/templates/list",
  "resources/read",
  "resources/subscribe",
  "resources/unsubscribe",
  "prompts/list",
  "prompts/get",
  "logging/setLevel",
  "completion/complete",
  "sampling/createMessage",
  "elicitation/create",
  "roots/list",
  "tasks/get",
  "tasks/result",
  "tasks/list",
  "tasks/cancel",
  // 2026-07-28 (stateless: no initialize)
  "server/discover",
  "subscriptions/listen",
];

/** MCP's method prefixes: every notification. */
export const MCP_METHOD_PREFIXES: readonly string[] = ["notifications/"];

/** Methods that open an MCP session: `initialize` (to 2025-11-25), `server/discover` (2026-07-28). */
export const MCP_OPENERS: readonly string[] = ["initialize", "server/discover"];

/** The prefix of MCP's own `_meta` keys. */
export const MCP_META_PREFIX = "io.modelcontextprotocol/";

/** The Agent2Agent protocol's methods MCP has none of (its `tasks/get` etc. are MCP's too). */
export const A2A_METHODS: readonly string[] = [
  "message/send",
  "message/stream",
  "tasks/resubscribe",
];

/** A2A's method prefixes (`tasks/pushNotificationConfig/set`, `agent/getAuthenticatedExtendedCard`). */
export const A2A_METHOD_PREFIXES: readonly string[] = ["tasks/pushNotificationConfig/", "agent/"];

const REQUESTS = new Set(MCP_REQUEST_METHODS);
const A2A = new Set(A2A_METHODS);

/** Whether `method` is one of MCP's (a request of the list, or a notification). */
export function isMcpMethod(method: string): boolean {
  return REQUESTS.has(method) || MCP_METHOD_PREFIXES.some((p) => method.startsWith(p));
}

/** Whether `method` is the Agent2Agent protocol's and not MCP's. */
export function isA2aMethod(method: string): boolean {
  return A2A.has(method) || A2A_METHOD_PREFIXES.some((p) => method.startsWith(p));
}

/** Whether a message's params or result (parsed JSON) carry a `_meta` key of MCP's. */
function hasMcpMeta(v: unknown): boolean {
  if (v === null || typeof v !== "object" || Array.isArray(v)) return false;
  const meta = (v as Record<string, unknown>)._meta;
  if (meta === null || typeof meta !== "object" || Array.isArray(meta)) return false;
  return Object.keys(meta).some((k) => k.startsWith(MCP_META_PREFIX));
}

/** One message of a session, as far as the rule needs it. */
export interface SessionMessage {
  method: string | null;
  params?: unknown;
  result?: unknown;
  /** over HTTP: its exchange's `MCP-Protocol-Version` header (session_headers.ts) */
  mcpProtocolVersion?: string | null;
  /** over HTTP: its exchange's `A2A-Version` header */
  a2aVersion?: string | null;
}

/**
 * Why a session's messages are not MCP's (the Agent2Agent protocol's methods, or methods none
 * of them MCP's), or null when they are (or may be: a session of answers only is kept).
 */
export function notMcpSession(messages: readonly SessionMessage[]): string | null {
  const methods = messages.flatMap((m) => m.method === null ? [] : [m.method]);
  const evidence = methods.some((m) => MCP_OPENERS.includes(m)) ||
    messages.some((m) => hasMcpMeta(m.params) || hasMcpMeta(m.result) || m.mcpProtocolVersion);
  if (evidence) return null;
  if (methods.some(isA2aMethod)) return "the Agent2Agent protocol's methods";
  if (messages.some((m) => m.a2aVersion)) return "the Agent2Agent protocol's A2A-Version header";
  if (methods.length && !methods.some(isMcpMethod)) return "methods, none of them MCP's";
  return null;
}

/** The first MCP revision without `initialize` (stateless: `server/discover`, `_meta` versions). */
export const MCP_STATELESS_VERSION = "2026-07-28";

/** The `_meta` key each request of MCP 2026-07-28 carries its protocol version in. */
export const MCP_VERSION_META = MCP_META_PREFIX + "protocolVersion";

/** The protocol version a message's params carry in `_meta`, when a `YYYY-MM-DD` string. */
function metaVersion(v: unknown): string | null {
  if (v === null || typeof v !== "object" || Array.isArray(v)) return null;
  const meta = (v as Record<string, unknown>)._meta;
  if (meta === null || typeof meta !== "object" || Array.isArray(meta)) return null;
  const version = (meta as Record<string, unknown>)[MCP_VERSION_META];
  return typeof version === "string" && /^\d{4}-\d{2}-\d{2}$/.test(version) ? version : null;
}

/** A message of a session as statelessSession needs it: its kind and JSON-RPC id besides. */
export interface SessionMessageWithId extends SessionMessage {
  kind: string;
  id: string | null;
}

/**
 * Whether a session speaks stateless MCP (2026-07-28 or later), which has no `initialize`:
 * a `server/discover` its server answered with a result, or a request other than
 * `server/discover` whose `_meta` carries a protocol version of 2026-07-28 or later (every
 * request of that revision carries one). A `server/discover` refused (Claude Code probes with
 * one, then falls back to `initialize` when a server answers "Method not found") says
 * nothing: the session may be an older revision's whose `initialize` was not recorded.
 */
export function statelessSession(messages: readonly SessionMessageWithId[]): boolean {
  const discover = new Set<string>();
  for (const m of messages) {
    if (m.kind !== "request" || m.method === null) continue;
    if (m.method === "server/discover") {
      if (m.id !== null) discover.add(m.id);
    } else if ((metaVersion(m.params) ?? "") >= MCP_STATELESS_VERSION) return true;
  }
  return messages.some((m) =>
    m.kind === "response" && m.id !== null && discover.has(m.id) && m.result !== undefined &&
    m.result !== null
  );
}

/** The values the MCP tables' statements bind. */
export const MCP_SQL_VALUES = {
  mcp_methods: MCP_REQUEST_METHODS,
  mcp_method_prefixes: MCP_METHOD_PREFIXES,
  mcp_openers: MCP_OPENERS,
  mcp_meta_prefix: MCP_META_PREFIX,
  a2a_methods: A2A_METHODS,
  a2a_method_prefixes: A2A_METHOD_PREFIXES,
  mcp_stateless_version: MCP_STATELESS_VERSION,
} as const;
