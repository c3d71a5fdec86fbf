-- mcp_calls: each MCP request with the first answer carrying its id that the other end sent
-- back after it (the other end: the same processes, port and, over TLS, host), the server's
-- name from its `initialize` answer and the client's session. A pid reused is another process:
-- each end is the incarnation of its pid alive at the request (pid_incarnations in macros.sql,
-- by ASOF JOIN), the name is that of an `initialize` between the same incarnations, and the
-- session that of the client's incarnation.
INSERT INTO mcp_calls
WITH req AS (
  SELECT *,
    coalesce('=' || jsonrpc_id, '') AS id_key,
    coalesce(from_pid::BIGINT, -4294967296) AS client_key,
    coalesce(to_pid::BIGINT, -4294967296) AS server_key,
    coalesce(server_port::BIGINT, -4294967296) AS port_key,
    coalesce('=' || server_host, '') AS host_key
  FROM mcp_messages WHERE kind = 'request'
),
resp AS (
  -- answers; of several on one stream at the same time with the same id, the first recorded
  SELECT *,
    '=' || jsonrpc_id AS id_key,
    coalesce(to_pid::BIGINT, -4294967296) AS client_key,
    coalesce(from_pid::BIGINT, -4294967296) AS server_key,
    coalesce(server_port::BIGINT, -4294967296) AS port_key,
    coalesce('=' || server_host, '') AS host_key
  FROM mcp_messages WHERE kind IN ('response', 'error') AND jsonrpc_id IS NOT NULL
  QUALIFY row_number() OVER (
    PARTITION BY recording, jsonrpc_id, from_pid, to_pid, server_port, server_host, ts_ns
    ORDER BY message_id
  ) = 1
),
paired AS (
  -- the first answer after the request (ASOF JOIN): an id can be used many times (a client
  -- that numbers from 0 again on each connection), and joined on the id alone every request
  -- would be compared with every answer carrying its id
  SELECT q.recording, q.message_id, q.from_pid, q.to_pid, q.transport, q.server_port,
    q.server_host, q.method, q.params, q.ts_ns,
    r.result, r.error_code, r.error_message, r.ts_ns AS end_ns
  FROM req q
  ASOF LEFT JOIN resp r
    -- the same id (a request without one has none), processes, port and host (null alike),
    -- compared as keys that are never null: DuckDB's ASOF JOIN matched null to null with `=`
    -- and never with IS NOT DISTINCT FROM on large inputs
    ON r.recording = q.recording AND r.id_key = q.id_key
    AND r.client_key = q.client_key AND r.server_key = q.server_key
    AND r.port_key = q.port_key AND r.host_key = q.host_key
    AND r.ts_ns >= q.ts_ns
),
incs AS (FROM pid_incarnations('lineage')),
ends AS (
  SELECT p.*, c.start_ns AS from_start_ns, c.session_id, s.start_ns AS to_start_ns
  FROM paired p
  ASOF LEFT JOIN incs c ON c.recording = p.recording AND c.pid = p.from_pid AND p.ts_ns >= c.from_ns
  ASOF LEFT JOIN incs s ON s.recording = p.recording AND s.pid = p.to_pid AND p.ts_ns >= s.from_ns
),
names AS (
  SELECT recording, from_pid AS client_pid, from_start_ns AS client_start_ns,
    to_pid AS server_pid, to_start_ns AS server_start_ns, server_port, server_host,
    max(json_extract_string(result, '$.serverInfo.name')) AS server_name
  FROM ends WHERE method = 'initialize' GROUP BY ALL
)
SELECT p.recording, p.message_id, p.session_id, p.from_pid, p.to_pid, s.server_name, p.transport,
  p.server_port, p.server_host, p.method,
  CASE WHEN p.method = 'tools/call' THEN json_extract_string(p.params, '$.name') END,
  CASE WHEN p.method = 'tools/call' THEN json_extract(p.params, '$.arguments') END,
  p.result, p.error_code, p.error_message,
  CASE WHEN p.method = 'tools/call' AND p.result IS NOT NULL
    THEN coalesce(json_extract(p.result, '$.isError')::BOOLEAN, false) END,
  p.ts_ns, p.end_ns, (p.end_ns - p.ts_ns) / 1e6
FROM ends p
LEFT JOIN names s
  ON s.recording = p.recording AND s.client_pid = p.from_pid
  AND s.client_start_ns IS NOT DISTINCT FROM p.from_start_ns
  AND s.server_pid IS NOT DISTINCT FROM p.to_pid
  AND s.server_start_ns IS NOT DISTINCT FROM p.to_start_ns
  AND s.server_port IS NOT DISTINCT FROM p.server_port
  AND s.server_host IS NOT DISTINCT FROM p.server_host
ORDER BY p.recording, p.message_id;
