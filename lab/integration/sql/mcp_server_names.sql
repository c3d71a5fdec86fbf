-- mcp_server_names: each MCP server's name, its alias in the agent's configuration and
-- whether it is configured, by name (the MCP checks).
SELECT server_name, server_alias, configured FROM mcp_servers ORDER BY server_name
