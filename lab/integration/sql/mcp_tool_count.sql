-- mcp_tool_count: how many tools/list results name tool $name (the MCP checks).
SELECT count(*) AS n FROM mcp_tools WHERE name = $name
