-- mcp_calls_linked: every MCP tools/call in time order: its server and client, transport,
-- tool, arguments and result as text, whether an error, and the LLM tool call (id, name) it
-- is linked to (the MCP checks).
SELECT m.mcp_call_id, m.server_name, m.server_pid, m.client_pid, m.transport,
  m.server_host, m.tool, m.arguments::VARCHAR AS args, m.result::VARCHAR AS result,
  m.is_error, k.tool_call_id, t.name AS llm_tool
FROM mcp_calls m
LEFT JOIN mcp_tool_links k USING (recording, mcp_call_id)
LEFT JOIN tool_calls t USING (recording, tool_call_id)
WHERE m.method = 'tools/call'
ORDER BY m.start_ns
