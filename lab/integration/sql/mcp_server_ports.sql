-- mcp_server_ports: per MCP server, by name, its transport, whether configured, its client's
-- role, its tool calls and whether its port is the one its first call went to (the MCP
-- checks over loopback HTTP).
SELECT s.server_name, s.transport, s.configured, s.client_role, s.tool_calls,
  s.server_port = m.server_port AS same_port
FROM mcp_servers s JOIN mcp_calls m USING (recording, mcp_call_id)
ORDER BY s.server_name
