/**
 * The methods of the Model Context Protocol, as its specification's schema names them
 * (revisions 2024-11-05 to 2025-11-25: the requests either side sends, and every notification
 * under `notifications/`). JSON-RPC 2.0 carries other protocols too: the Agent2Agent protocol
 * (`message/send`, `message/stream`, served over HTTP by an agent to other agents and to its
 * users), the Agent Client Protocol, the Language Server Protocol, a blockchain node's RPC.
 * A session whose `initialize` was not seen is told by these: one whose messages carry methods
 * and none of them MCP's is not MCP (`mcp_calls.sql`, binding `MCP_SQL_VALUES`; build.ts's
 * sessions without an `initialize`).
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
];

const REQUESTS = new Set(MCP_REQUEST_METHODS);

/** Whether `method` is one of MCP's (a request of the list, or a notification). */
export function isMcpMethod(method: string): boolean {
  return REQUESTS.has(method) || method.startsWith("notifications/");
}

/** The values the MCP tables' statements bind (`$mcp_methods`: MCP_REQUEST_METHODS). */
export const MCP_SQL_VALUES = { mcp_methods: MCP_REQUEST_METHODS } as const;
