-- mcp_servers_found: each MCP server's name, pid, host, transport, whether configured, its
-- client's role and tool calls, configured ones first (the remote MCP checks).
SELECT server_name, server_pid, server_host, transport, configured, client_role, tool_calls
FROM mcp_servers ORDER BY configured DESC
