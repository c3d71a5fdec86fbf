-- mcp_session_ids: the MCP session ids the analysis read (streamable HTTP's `Mcp-Session-Id`, as
-- the capture wrote it), one row per message that has one.
SELECT mcp_session_id
FROM mcp_messages
WHERE mcp_session_id IS NOT NULL
ORDER BY message_id;
