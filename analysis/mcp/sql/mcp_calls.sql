-- mcp_calls: each MCP request with the first answer carrying its id that the other end sent
-- back after it (the other end: the same processes, port and, over TLS, host), the server's
-- name from its `initialize` answer (or, in MCP 2026-07-28, which has none, its answer to
-- `server/discover`: `serverInfo`, or the `_meta` key `io.modelcontextprotocol/serverInfo`; a
-- refused `server/discover`, Claude Code's probe before `initialize`, names nothing) and the
-- client's session. A pid reused is another process:
-- each end is the incarnation of its pid alive at the request (pid_incarnations in macros.sql,
-- by ASOF JOIN), the name is that of an `initialize` (or answered `server/discover`) between
-- the same incarnations, and the
-- session that of the client's incarnation.
-- A server asks its client too (MCP: `roots/list`, `sampling/createMessage`,
-- `elicitation/create`, `ping`): such a request (`from_server`) is told by the session, an
-- `initialize` the other way between the same incarnations, port and host, or, in a session
-- whose `initialize` was not seen, by the methods only a server sends; its client and server
-- are the session's, not its sender and receiver. `progress`: the `notifications/progress`
-- the receiver sent with the request's `_meta.progressToken` until its answer; `cancelled`:
-- the sender cancelled it (`notifications/cancelled` with its id) before any answer.
-- JSON-RPC over stdio between two processes that another protocol's `initialize` opened is not
-- MCP, and none of its requests is an MCP call: MCP's `initialize` carries `protocolVersion` as
-- a date string; the Agent Client Protocol's as a number (`acpx` driving Zed's `codex-acp`:
-- `session/new`, `session/prompt`, `session/update`), the Language Server Protocol's none, with
-- `processId` and `rootUri`. A cut `initialize` (no params) is taken for MCP's.
-- Nor is a session without MCP evidence (an `initialize` or `server/discover`, a `_meta` key
-- `io.modelcontextprotocol/...`) that carries one of the Agent2Agent protocol's own methods
-- (`message/send` over HTTP to an agent's own server: apteva's agent, driven by curl; even
-- beside `tasks/get`, a method both protocols name), or methods none of them MCP's (a
-- blockchain node's RPC): methods.ts's rule, whose lists are bound here. A session is told as
-- for the `gap` problem of build.ts: the two processes, the transport, the server's port and
-- host; build.ts says each such session in `problems`.
INSERT INTO mcp_calls
WITH other_protocol AS (
  SELECT DISTINCT recording, least(from_pid, to_pid) AS lo, greatest(from_pid, to_pid) AS hi
  FROM mcp_messages
  WHERE kind = 'request' AND method = 'initialize' AND transport = 'stdio'
    AND json_type(params, '$.protocolVersion') IS DISTINCT FROM 'VARCHAR'
    AND (json_type(params, '$.protocolVersion') IS NOT NULL
      OR json_exists(params, '$.processId') OR json_exists(params, '$.rootUri'))
),
keyed AS (
  -- a pid not traced keys as -1, as build.ts's sessions do
  SELECT *,
    least(coalesce(from_pid, -1), coalesce(to_pid, -1))::BIGINT AS lo_key,
    greatest(coalesce(from_pid, -1), coalesce(to_pid, -1))::BIGINT AS hi_key,
    coalesce(server_port::BIGINT, -4294967296) AS port_key,
    coalesce('=' || server_host, '') AS host_key,
    -- streamable HTTP: the endpoint's path (`http_endpoint`: a POST's, answered with its
    -- responses) and the session id tell sessions apart on one host:port (not HTTP+SSE's
    -- paths, its GET stream and POST endpoint two paths of one session, read as `http` when
    -- its `endpoint` event was not recorded)
    -- (HTTP+SSE: its `sessionId`, build.ts sseSessionIds)
    CASE WHEN transport = 'http'
      THEN coalesce(http_endpoint, '') || ' ' || coalesce(mcp_session_id, '')
      WHEN transport = 'sse' THEN ' ' || coalesce(mcp_session_id, '') ELSE '' END
      AS session_key
  FROM mcp_messages
),
judged AS (
  SELECT recording, transport, lo_key, hi_key, port_key, host_key, session_key, method,
    -- MCP evidence: an opener, a `_meta` key of MCP's in the params or the result, or an
    -- `MCP-Protocol-Version` header
    mcp_protocol_version IS NOT NULL OR list_contains($mcp_openers::VARCHAR[], method)
      OR list_bool_or(list_transform(
        coalesce(json_keys(params, '$._meta'), []) || coalesce(json_keys(result, '$._meta'), []),
        lambda k: starts_with(k, $mcp_meta_prefix::VARCHAR))) AS mcp_evidence,
    a2a_version IS NOT NULL OR list_contains($a2a_methods::VARCHAR[], method)
      OR list_bool_or(list_transform($a2a_method_prefixes::VARCHAR[],
        lambda p: starts_with(method, p))) AS a2a,
    list_contains($mcp_methods::VARCHAR[], method)
      OR list_bool_or(list_transform($mcp_method_prefixes::VARCHAR[],
        lambda p: starts_with(method, p))) AS mcp_method
  FROM keyed
),
not_mcp AS (
  SELECT recording, transport, lo_key, hi_key, port_key, host_key, session_key
  FROM judged
  GROUP BY ALL
  HAVING NOT coalesce(bool_or(mcp_evidence), false)
    AND (coalesce(bool_or(a2a), false)
      OR (count(method) > 0 AND NOT coalesce(bool_or(mcp_method), false)))
),
mcp AS (
  SELECT m.* EXCLUDE (lo_key, hi_key, port_key, host_key) FROM keyed m
  ANTI JOIN other_protocol o ON o.recording = m.recording AND m.transport = 'stdio'
    AND o.lo = least(m.from_pid, m.to_pid) AND o.hi = greatest(m.from_pid, m.to_pid)
  ANTI JOIN not_mcp x ON x.recording = m.recording AND x.transport = m.transport
    AND x.lo_key = m.lo_key AND x.hi_key = m.hi_key AND x.port_key = m.port_key
    AND x.host_key = m.host_key AND x.session_key = m.session_key
),
req AS (
  SELECT *,
    coalesce('=' || jsonrpc_id, '') AS id_key,
    coalesce(from_pid::BIGINT, -4294967296) AS client_key,
    coalesce(to_pid::BIGINT, -4294967296) AS server_key,
    coalesce(server_port::BIGINT, -4294967296) AS port_key,
    coalesce('=' || server_host, '') AS host_key
  FROM mcp WHERE kind = 'request'
),
resp AS (
  -- answers; of several on one stream at the same time with the same id, the first recorded
  SELECT *,
    '=' || jsonrpc_id AS id_key,
    coalesce(to_pid::BIGINT, -4294967296) AS client_key,
    coalesce(from_pid::BIGINT, -4294967296) AS server_key,
    coalesce(server_port::BIGINT, -4294967296) AS port_key,
    coalesce('=' || server_host, '') AS host_key
  FROM mcp WHERE kind IN ('response', 'error') AND jsonrpc_id IS NOT NULL
  QUALIFY row_number() OVER (
    PARTITION BY recording, jsonrpc_id, from_pid, to_pid, server_port, server_host, session_key,
      ts_ns
    ORDER BY message_id
  ) = 1
),
paired AS (
  -- the first answer after the request (ASOF JOIN): an id can be used many times (a client
  -- that numbers from 0 again on each connection), and joined on the id alone every request
  -- would be compared with every answer carrying its id
  SELECT q.recording, q.message_id, q.jsonrpc_id, q.from_pid, q.to_pid, q.transport, q.server_port,
    q.server_host, q.session_key, q.method, q.params, q.ts_ns,
    r.result, r.error_code, r.error_message, r.ts_ns AS end_ns
  FROM req q
  ASOF LEFT JOIN resp r
    -- the same id (a request without one has none), processes, port and host (null alike),
    -- compared as keys that are never null: DuckDB's ASOF JOIN matched null to null with `=`
    -- and never with IS NOT DISTINCT FROM on large inputs
    ON r.recording = q.recording AND r.id_key = q.id_key
    AND r.client_key = q.client_key AND r.server_key = q.server_key
    AND r.port_key = q.port_key AND r.host_key = q.host_key
    AND r.session_key = q.session_key
    AND r.ts_ns >= q.ts_ns
),
incs AS (FROM pid_incarnations('lineage')),
ends AS (
  SELECT p.*, c.start_ns AS from_start_ns, c.session_id AS from_session_id,
    s.start_ns AS to_start_ns, s.session_id AS to_session_id
  FROM paired p
  ASOF LEFT JOIN incs c ON c.recording = p.recording AND c.pid = p.from_pid AND p.ts_ns >= c.from_ns
  ASOF LEFT JOIN incs s ON s.recording = p.recording AND s.pid = p.to_pid AND p.ts_ns >= s.from_ns
),
names AS (
  SELECT recording, from_pid AS client_pid, from_start_ns AS client_start_ns,
    to_pid AS server_pid, to_start_ns AS server_start_ns, server_port, server_host, session_key,
    max(coalesce(json_extract_string(result, '$.serverInfo.name'),
      json_extract_string(result, '$._meta."io.modelcontextprotocol/serverInfo".name')))
      AS server_name
  FROM ends
  WHERE method = 'initialize' OR (method = 'server/discover' AND result IS NOT NULL)
  GROUP BY ALL
),
directed AS (
  SELECT p.*,
    CASE WHEN back.found THEN true WHEN fwd.found THEN false
      ELSE p.method IN ('roots/list', 'sampling/createMessage', 'elicitation/create')
    END AS from_server
  FROM ends p
  LEFT JOIN (SELECT DISTINCT * EXCLUDE (server_name), true AS found FROM names) back
    ON back.recording = p.recording AND back.client_pid IS NOT DISTINCT FROM p.to_pid
    AND back.client_start_ns IS NOT DISTINCT FROM p.to_start_ns
    AND back.server_pid IS NOT DISTINCT FROM p.from_pid
    AND back.server_start_ns IS NOT DISTINCT FROM p.from_start_ns
    AND back.server_port IS NOT DISTINCT FROM p.server_port
    AND back.server_host IS NOT DISTINCT FROM p.server_host
    AND back.session_key = p.session_key
  LEFT JOIN (SELECT DISTINCT * EXCLUDE (server_name), true AS found FROM names) fwd
    ON fwd.recording = p.recording AND fwd.client_pid IS NOT DISTINCT FROM p.from_pid
    AND fwd.client_start_ns IS NOT DISTINCT FROM p.from_start_ns
    AND fwd.server_pid IS NOT DISTINCT FROM p.to_pid
    AND fwd.server_start_ns IS NOT DISTINCT FROM p.to_start_ns
    AND fwd.server_port IS NOT DISTINCT FROM p.server_port
    AND fwd.server_host IS NOT DISTINCT FROM p.server_host
    AND fwd.session_key = p.session_key
),
roles AS (
  SELECT d.*,
    CASE WHEN from_server THEN to_pid ELSE from_pid END AS client_pid,
    CASE WHEN from_server THEN to_start_ns ELSE from_start_ns END AS client_start_ns,
    CASE WHEN from_server THEN to_session_id ELSE from_session_id END AS session_id,
    CASE WHEN from_server THEN from_pid ELSE to_pid END AS server_pid,
    CASE WHEN from_server THEN from_start_ns ELSE to_start_ns END AS server_start_ns
  FROM directed d
),
notes AS (
  -- the notifications that speak of a request: progress (its token), cancellation (its id)
  SELECT recording, from_pid, to_pid, server_port, server_host, session_key, ts_ns, method,
    CAST(json_extract(params, CASE method WHEN 'notifications/progress'
      THEN '$.progressToken' ELSE '$.requestId' END) AS VARCHAR) AS ref
  FROM mcp
  WHERE kind = 'notification'
    AND method IN ('notifications/progress', 'notifications/cancelled')
),
told AS (
  SELECT q.recording, q.message_id,
    count(*) FILTER (WHERE n.method = 'notifications/progress'
      AND n.from_pid IS NOT DISTINCT FROM q.to_pid AND n.to_pid IS NOT DISTINCT FROM q.from_pid
      AND n.ref = CAST(json_extract(q.params, '$._meta.progressToken') AS VARCHAR)) AS progress,
    count(*) FILTER (WHERE n.method = 'notifications/cancelled'
      AND n.from_pid IS NOT DISTINCT FROM q.from_pid AND n.to_pid IS NOT DISTINCT FROM q.to_pid
      AND n.ref = q.jsonrpc_id) > 0 AS cancelled
  FROM roles q
  JOIN notes n ON n.recording = q.recording
    AND n.server_port IS NOT DISTINCT FROM q.server_port
    AND n.server_host IS NOT DISTINCT FROM q.server_host AND n.session_key = q.session_key
    AND n.ts_ns >= q.ts_ns AND (q.end_ns IS NULL OR n.ts_ns <= q.end_ns)
  GROUP BY q.recording, q.message_id
)
SELECT p.recording, p.message_id, p.session_id, p.client_pid, p.server_pid, s.server_name,
  p.transport, p.server_port, p.server_host, p.method,
  CASE WHEN p.method = 'tools/call' THEN json_extract_string(p.params, '$.name') END,
  CASE WHEN p.method = 'tools/call' THEN json_extract(p.params, '$.arguments') END,
  p.result, p.error_code, p.error_message,
  CASE WHEN p.method = 'tools/call' AND p.result IS NOT NULL
    THEN coalesce(json_extract(p.result, '$.isError')::BOOLEAN, false) END,
  p.ts_ns, p.end_ns, (p.end_ns - p.ts_ns) / 1e6,
  p.from_server, coalesce(t.progress, 0), coalesce(t.cancelled, false)
FROM roles p
LEFT JOIN names s
  ON s.recording = p.recording AND s.client_pid IS NOT DISTINCT FROM p.client_pid
  AND s.client_start_ns IS NOT DISTINCT FROM p.client_start_ns
  AND s.server_pid IS NOT DISTINCT FROM p.server_pid
  AND s.server_start_ns IS NOT DISTINCT FROM p.server_start_ns
  AND s.server_port IS NOT DISTINCT FROM p.server_port
  AND s.server_host IS NOT DISTINCT FROM p.server_host AND s.session_key = p.session_key
LEFT JOIN told t ON t.recording = p.recording AND t.message_id = p.message_id
ORDER BY p.recording, p.message_id;
