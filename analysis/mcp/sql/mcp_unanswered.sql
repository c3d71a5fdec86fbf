-- mcp_unanswered: the MCP requests without an answer that were not cancelled, whose receiver
-- answered a later request from the same sender (same processes, port and host: the session
-- went on), with how many such later answers there were and the request's batch element. A
-- request its receiver answered meanwhile with an error without an id (JSON-RPC: a request it
-- could not read, as servers answer Claude Code's `server/discover` probe over HTTP) is left out,
-- and so is streamable HTTP (`http`), where a client cancels a request by closing its event
-- stream without any notification (MCP 2026-07-28) and a missing HTTP answer is the HTTP
-- reading's own problem; over stdio and HTTP+SSE only `notifications/cancelled` excuses one,
-- or, over HTTP+SSE, an HTTP error status to the POST that carried it.
WITH later AS (
  SELECT q.recording, q.mcp_call_id, q.method, q.transport, q.server_pid, q.server_port,
    q.server_host, q.server_name, q.from_server, q.start_ns,
    CASE WHEN q.from_server THEN q.server_pid ELSE q.client_pid END AS sender,
    CASE WHEN q.from_server THEN q.client_pid ELSE q.server_pid END AS receiver,
    count(*) AS later, min(a.end_ns) AS first_end
  FROM mcp_calls q
  JOIN mcp_calls a ON a.recording = q.recording AND a.from_server = q.from_server
    AND a.client_pid IS NOT DISTINCT FROM q.client_pid
    AND a.server_pid IS NOT DISTINCT FROM q.server_pid
    AND a.server_port IS NOT DISTINCT FROM q.server_port
    AND a.server_host IS NOT DISTINCT FROM q.server_host
    AND a.start_ns > q.start_ns AND a.end_ns IS NOT NULL
  WHERE q.end_ns IS NULL AND NOT q.cancelled AND q.transport <> 'http'
  GROUP BY ALL
)
SELECT l.recording, l.mcp_call_id, m.jsonrpc_id, l.method, l.transport, l.server_pid,
  l.server_host, l.server_name, l.from_server, m.batch_index, l.later
FROM later l
JOIN mcp_messages m ON m.recording = l.recording AND m.message_id = l.mcp_call_id
-- a POST the server refused at the HTTP level (4xx, 5xx) was answered there: a client probing
-- streamable HTTP on an HTTP+SSE server first (MCP 2025-03-26, backwards compatibility)
WHERE coalesce(m.http_status, 0) < 400 AND NOT EXISTS (
  SELECT 1 FROM mcp_messages e
  WHERE e.recording = l.recording AND e.kind = 'error' AND e.jsonrpc_id IS NULL
    AND e.from_pid IS NOT DISTINCT FROM l.receiver AND e.to_pid IS NOT DISTINCT FROM l.sender
    AND e.server_port IS NOT DISTINCT FROM l.server_port
    AND e.server_host IS NOT DISTINCT FROM l.server_host
    AND e.ts_ns >= l.start_ns AND e.ts_ns <= l.first_end
)
ORDER BY l.recording, l.mcp_call_id;
