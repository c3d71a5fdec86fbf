-- mcp_servers: every MCP server (a process that was sent an `initialize`, or stateless MCP's
-- `server/discover` or versioned requests: `opener`) with its client and
-- how it came to run. An agent starts the servers its configuration names itself, as its own
-- descendants, and is their client over their stdio: such a server is `configured`. It is not
-- when its client is not an agent process (a program the model ran, or anything else, speaks
-- MCP to it) or when its client did not start it (it is not among the client's descendants:
-- started elsewhere and reached over a socket). The tool call that started the server or its
-- client, if one did (`links` of their execs), is kept; so is the agent's name for the server
-- (`mcp_tool_links.server_alias`), which comes from its configuration. A server reached over
-- loopback HTTP (transport `http`, `sse`) is configured by URL and runs on its own, so who
-- started it says nothing: it is `configured` when its client is an agent process (an agent
-- reaches the URLs its configuration names), and not when anything else speaks MCP to it. So is
-- a remote server reached over HTTPS, whose process is not seen (`server_pid` null): it is known
-- by its host and port (`server_host`). Over streamable HTTP a server is also its endpoint's
-- path (`server_path`, mcp_messages.http_path): two servers one process serves behind one
-- host:port on two paths are two servers. A pid reused is another process: a server is one
-- incarnation of its pid talking to one incarnation of its client's, each the one alive at the
-- call (pid_incarnations in macros.sql, by ASOF JOIN), and what is said of them (who started
-- them, their alias, their tool calls) is of those incarnations. Read by mcp_server_links.sql
-- and findings_mcp_unconfigured.sql: the rule is here only.
INSERT INTO mcp_servers
WITH RECURSIVE incs AS (FROM pid_incarnations('lineage')),
calls AS (
  SELECT m.*, c.start_ns AS client_start_ns, v.start_ns AS server_start_ns, k.server_alias
  FROM mcp_calls m
  ASOF LEFT JOIN incs c
    ON c.recording = m.recording AND c.pid = m.client_pid AND m.start_ns >= c.from_ns
  ASOF LEFT JOIN incs v
    ON v.recording = m.recording AND v.pid = m.server_pid AND m.start_ns >= v.from_ns
  LEFT JOIN mcp_tool_links k ON k.recording = m.recording AND k.mcp_call_id = m.mcp_call_id
),
-- the calls that open a session: an `initialize`, or in stateless MCP (2026-07-28: no
-- `initialize`) a `server/discover` answered with a result or any other request whose `_meta`
-- protocol version is 2026-07-28 or later (a refused `server/discover`, Claude Code's probe
-- before it falls back to `initialize`, opens nothing); methods.ts's statelessSession
opened AS (
  SELECT c.*,
    -- streamable HTTP: the endpoint's path (two servers behind one host:port are two paths)
    CASE WHEN c.transport = 'http' THEN g.http_path END AS server_path,
    c.method = 'initialize'
      OR (c.method = 'server/discover' AND c.result IS NOT NULL AND c.error_code IS NULL)
      OR (c.method IS DISTINCT FROM 'server/discover' AND NOT c.from_server AND coalesce(
        regexp_full_match(json_extract_string(g.params,
          '$._meta."io.modelcontextprotocol/protocolVersion"'), '\d{4}-\d{2}-\d{2}')
        AND json_extract_string(g.params, '$._meta."io.modelcontextprotocol/protocolVersion"')
          >= $mcp_stateless_version::VARCHAR, false)) AS opener
  FROM calls c
  LEFT JOIN mcp_messages g ON g.recording = c.recording AND g.message_id = c.mcp_call_id
),
-- each server and client (incarnations) that opened a session (`opener`), with the tool calls
-- the client sent the server
servers AS (
  SELECT recording, server_pid, server_start_ns, client_pid, client_start_ns,
    min(mcp_call_id) FILTER (WHERE opener) AS mcp_call_id,
    min(start_ns) FILTER (WHERE opener) AS init_ns,
    min(session_id) FILTER (WHERE opener) AS session_id,
    max(server_name) FILTER (WHERE opener) AS server_name,
    min(transport) FILTER (WHERE opener) AS transport,
    max(server_port) FILTER (WHERE opener) AS server_port, server_host, server_path,
    max(server_alias) AS server_alias,
    count(*) FILTER (WHERE method = 'tools/call') AS tool_calls
  FROM opened
  WHERE (server_pid IS NOT NULL OR server_host IS NOT NULL) AND client_pid IS NOT NULL
  GROUP BY recording, server_pid, server_start_ns, client_pid, client_start_ns, server_host,
    CASE WHEN server_host IS NOT NULL THEN server_port END, server_path
  HAVING count(*) FILTER (WHERE opener) > 0
),
-- the server's ancestors, incarnation by incarnation (lineage's ppid and parent_start_ns),
-- up to its client, however many generations: each incarnation is added once per server
-- (UNION, no depth), so the walk ends by itself, even on a cycle of ppids that pid reuse and
-- equal start times could make
ancestors AS (
  SELECT s.recording, s.mcp_call_id, s.client_pid, s.client_start_ns, l.ppid AS pid,
    l.parent_start_ns AS start_ns
  FROM servers s
  JOIN lineage l ON l.recording = s.recording AND l.pid = s.server_pid
    AND l.start_ns = s.server_start_ns
  WHERE l.ppid IS NOT NULL
  UNION
  SELECT a.recording, a.mcp_call_id, a.client_pid, a.client_start_ns, l.ppid, l.parent_start_ns
  FROM ancestors a
  JOIN lineage l ON l.recording = a.recording AND l.pid = a.pid
    AND l.start_ns IS NOT DISTINCT FROM a.start_ns
  WHERE l.ppid IS NOT NULL
    AND NOT (a.pid = a.client_pid AND a.start_ns IS NOT DISTINCT FROM a.client_start_ns)
),
-- the tool call whose process tree started a process incarnation, if any: the link of its exec
started_by AS (
  SELECT a.recording, a.pid, a.proc_start_ns, max(l.tool_call_id) AS tool_call_id
  FROM actions a
  JOIN links l ON l.recording = a.recording AND l.event_table = a.event_table
    AND l.event_id = a.event_id
  WHERE a.event_table = 'process' AND a.op = 'exec' AND l.attribution = 'tool'
    AND NOT list_contains(l.signals, 'mcp')
  GROUP BY ALL
),
judged AS (
  SELECT s.*, v.argv, c.role AS client_role, c.chain AS client_chain, v.branch_pid,
    v.branch_start_ns,
    EXISTS (SELECT 1 FROM ancestors a WHERE a.recording = s.recording
      AND a.mcp_call_id = s.mcp_call_id AND a.pid = s.client_pid
      AND a.start_ns IS NOT DISTINCT FROM s.client_start_ns) AS started_by_client,
    coalesce(bs.tool_call_id, bc.tool_call_id) AS tool_call_id
  FROM servers s
  LEFT JOIN lineage c ON c.recording = s.recording AND c.pid = s.client_pid
    AND c.start_ns = s.client_start_ns
  LEFT JOIN lineage v ON v.recording = s.recording AND v.pid = s.server_pid
    AND v.start_ns = s.server_start_ns
  LEFT JOIN started_by bs ON bs.recording = s.recording AND bs.pid = s.server_pid
    AND bs.proc_start_ns = s.server_start_ns
  LEFT JOIN started_by bc ON bc.recording = s.recording AND bc.pid = s.client_pid
    AND bc.proc_start_ns = s.client_start_ns
)
SELECT recording, server_pid, server_start_ns, client_pid, transport, server_port, server_host,
  server_path, session_id,
  server_name, server_alias, argv, mcp_call_id, init_ns, client_role, client_chain,
  started_by_client,
  client_role IS NOT DISTINCT FROM 'agent' AND (started_by_client OR transport <> 'stdio')
    AS configured,
  tool_call_id, tool_calls, branch_pid, branch_start_ns
FROM judged
ORDER BY recording, init_ns, server_pid, server_host, server_path;
