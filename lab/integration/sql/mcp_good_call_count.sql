-- mcp_good_call_count: how many calls of MCP tool $tool ended without an error (the MCP
-- checks).
SELECT count(*) AS n FROM mcp_calls WHERE tool = $tool AND NOT is_error
