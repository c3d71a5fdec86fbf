-- mcp_tools_called: whether any MCP `tools/call` has a server process (without one
-- findings_mcp_overreach.sql finds nothing: every finding of it is of a server serving a
-- tools/call, or of its writes before its first; build.ts skips it).
SELECT EXISTS (
  SELECT 1 FROM mcp_calls WHERE method = 'tools/call' AND server_pid IS NOT NULL
) AS called
