-- mcp_sse_sessions: the sessions of MCP's HTTP+SSE transport the analysis read (the
-- `sessionId` URL parameter, as the capture wrote it: a keyed digest; null: none), with how
-- many messages each has.
SELECT mcp_session_id, count(*) AS n
FROM mcp_messages
WHERE transport = 'sse'
GROUP BY mcp_session_id
ORDER BY mcp_session_id NULLS FIRST;
