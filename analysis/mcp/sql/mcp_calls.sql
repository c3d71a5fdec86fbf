-- mcp_calls: each MCP request with the first answer carrying its id that the other end sent
-- back after it (the other end: the same processes, port and, over TLS, host), the server's name from its `initialize` answer and the client's session.
INSERT INTO mcp_calls
WITH req AS (
  SELECT * FROM mcp_messages WHERE kind = 'request'
),
paired AS (
  SELECT q.recording, q.message_id, q.from_pid, q.to_pid, q.transport, q.server_port,
    q.server_host, q.method, q.params, q.ts_ns,
    r.result, r.error_code, r.error_message, r.ts_ns AS end_ns,
    row_number() OVER (PARTITION BY q.recording, q.message_id ORDER BY r.ts_ns, r.message_id) AS n
  FROM req q
  LEFT JOIN mcp_messages r
    ON r.recording = q.recording AND r.kind IN ('response', 'error')
    AND r.jsonrpc_id = q.jsonrpc_id AND r.from_pid IS NOT DISTINCT FROM q.to_pid
    AND r.to_pid IS NOT DISTINCT FROM q.from_pid AND r.server_port IS NOT DISTINCT FROM q.server_port
    AND r.server_host IS NOT DISTINCT FROM q.server_host
    AND r.ts_ns >= q.ts_ns
),
names AS (
  SELECT recording, from_pid AS client_pid, to_pid AS server_pid, server_port, server_host,
    max(json_extract_string(result, '$.serverInfo.name')) AS server_name
  FROM paired WHERE n = 1 AND method = 'initialize' GROUP BY ALL
)
SELECT p.recording, p.message_id, l.session_id, p.from_pid, p.to_pid, s.server_name, p.transport,
  p.server_port, p.server_host, p.method,
  CASE WHEN p.method = 'tools/call' THEN json_extract_string(p.params, '$.name') END,
  CASE WHEN p.method = 'tools/call' THEN json_extract(p.params, '$.arguments') END,
  p.result, p.error_code, p.error_message,
  CASE WHEN p.method = 'tools/call' AND p.result IS NOT NULL
    THEN coalesce(json_extract(p.result, '$.isError')::BOOLEAN, false) END,
  p.ts_ns, p.end_ns, (p.end_ns - p.ts_ns) / 1e6
FROM paired p
LEFT JOIN names s
  ON s.recording = p.recording AND s.client_pid = p.from_pid
  AND s.server_pid IS NOT DISTINCT FROM p.to_pid
  AND s.server_port IS NOT DISTINCT FROM p.server_port
  AND s.server_host IS NOT DISTINCT FROM p.server_host
-- a pid reused: the session of its first incarnation in one
LEFT JOIN (
  SELECT recording, pid, arg_min(session_id, start_ns) AS session_id FROM lineage GROUP BY ALL
) l
  ON l.recording = p.recording AND l.pid = p.from_pid
WHERE p.n = 1
ORDER BY p.recording, p.message_id;
