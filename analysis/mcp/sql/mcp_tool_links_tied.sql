-- mcp_tool_links_tied: whether any MCP call is tied to a tool call (without one the `mcp`
-- link step gives nothing, and build.ts skips it).
SELECT EXISTS (FROM mcp_tool_links) AS tied
