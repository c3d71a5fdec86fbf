-- trace_mcp_calls: the MCP `tools/call`s of one session ($recording, $session) in order: the
-- LLM tool call that caused each (`mcp_tool_links`; null when none did), its server (the
-- agent's name for it, its `serverInfo.name`), tool, transport, arguments, and how it ended
-- (`isError`, a JSON-RPC error, or no answer). What its server did for it is already among
-- that tool call's actions (`links` with the signal `mcp`).
SELECT m.mcp_call_id, k.tool_call_id, k.server_alias, m.server_name, m.tool, m.transport,
  CAST(m.arguments AS VARCHAR) AS arguments, m.is_error, m.error_code, m.error_message,
  m.end_ns IS NULL AS unanswered
FROM mcp_calls m
LEFT JOIN mcp_tool_links k ON k.recording = m.recording AND k.mcp_call_id = m.mcp_call_id
WHERE m.recording = $recording AND m.session_id = $session AND m.method = 'tools/call'
ORDER BY m.start_ns, m.mcp_call_id;
