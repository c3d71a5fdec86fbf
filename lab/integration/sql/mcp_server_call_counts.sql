-- mcp_server_call_counts: per named MCP server, how many tools/calls it was asked (the MCP
-- checks).
SELECT server_name, count(*) FILTER (WHERE method = 'tools/call') AS calls
FROM mcp_calls WHERE server_name IS NOT NULL GROUP BY ALL ORDER BY ALL
