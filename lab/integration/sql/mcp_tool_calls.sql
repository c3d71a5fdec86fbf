-- mcp_tool_calls: every MCP tools/call with its tool, arguments, result and transport, and
-- the LLM tool call it is linked to (the MCP capture checks).
SELECT m.tool, m.arguments, m.result, m.transport, k.tool_call_id
FROM mcp_calls m LEFT JOIN mcp_tool_links k USING (recording, mcp_call_id)
WHERE m.method = 'tools/call'
