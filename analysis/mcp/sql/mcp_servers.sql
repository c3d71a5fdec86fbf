-- mcp_servers: every MCP server (a process that was sent an `initialize`) with its client and
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
-- by its host and port (`server_host`). Read by mcp_server_links.sql and
-- findings_mcp_unconfigured.sql: the rule is here only.
INSERT INTO mcp_servers
WITH RECURSIVE servers AS (
  SELECT recording, server_pid, client_pid, min(mcp_call_id) AS mcp_call_id,
    min(start_ns) AS init_ns, min(session_id) AS session_id,
    max(server_name) AS server_name, min(transport) AS transport,
    max(server_port) AS server_port, server_host
  FROM mcp_calls
  WHERE method = 'initialize' AND (server_pid IS NOT NULL OR server_host IS NOT NULL)
    AND client_pid IS NOT NULL
  GROUP BY recording, server_pid, client_pid, server_host,
    CASE WHEN server_host IS NOT NULL THEN server_port END
),
-- each process incarnation alive at the server's initialize: the server's and the client's
alive AS (
  SELECT s.recording, s.mcp_call_id, s.server_pid, s.client_pid, l.pid, l.ppid, l.parent_start_ns, l.role,
    l.chain, l.argv, l.start_ns, l.branch_pid, l.branch_start_ns
  FROM servers s
  JOIN lineage l ON l.recording = s.recording AND l.pid IN (s.server_pid, s.client_pid)
    AND coalesce(l.start_ns, 0) <= s.init_ns AND coalesce(l.end_ns, s.init_ns) >= s.init_ns
),
-- the server's ancestors, incarnation by incarnation (lineage's ppid and parent_start_ns),
-- up to its client
ancestors AS (
  SELECT recording, server_pid, client_pid, ppid AS pid, parent_start_ns AS start_ns, 1 AS depth
  FROM alive WHERE pid = server_pid AND ppid IS NOT NULL
  UNION ALL
  SELECT a.recording, a.server_pid, a.client_pid, l.ppid, l.parent_start_ns, a.depth + 1
  FROM ancestors a
  JOIN lineage l ON l.recording = a.recording AND l.pid = a.pid
    AND l.start_ns IS NOT DISTINCT FROM a.start_ns
  WHERE a.depth < 64 AND a.pid <> a.client_pid AND l.ppid IS NOT NULL
),
-- the tool call whose process tree started a process, if any: the link of its exec
started_by AS (
  SELECT a.recording, a.pid, max(l.tool_call_id) AS tool_call_id
  FROM actions a
  JOIN links l ON l.recording = a.recording AND l.event_table = a.event_table
    AND l.event_id = a.event_id
  WHERE a.event_table = 'process' AND a.op = 'exec' AND l.attribution = 'tool'
    AND NOT list_contains(l.signals, 'mcp')
  GROUP BY ALL
),
aliases AS (
  SELECT m.recording, m.server_pid, m.client_pid, m.server_host,
    CASE WHEN m.server_host IS NOT NULL THEN m.server_port END AS remote_port,
    max(k.server_alias) AS server_alias
  FROM mcp_calls m
  JOIN mcp_tool_links k ON k.recording = m.recording AND k.mcp_call_id = m.mcp_call_id
  GROUP BY ALL
),
judged AS (
  SELECT s.*, v.start_ns AS server_start_ns, v.argv, c.role AS client_role,
    c.chain AS client_chain, v.branch_pid, v.branch_start_ns, x.server_alias,
    EXISTS (SELECT 1 FROM ancestors a WHERE a.recording = s.recording
      AND a.server_pid = s.server_pid AND a.client_pid = s.client_pid AND a.pid = s.client_pid)
      AS started_by_client,
    (SELECT count(*) FROM mcp_calls m WHERE m.recording = s.recording
      AND m.server_pid IS NOT DISTINCT FROM s.server_pid AND m.client_pid = s.client_pid
      AND m.server_host IS NOT DISTINCT FROM s.server_host
      AND (s.server_host IS NULL OR m.server_port = s.server_port)
      AND m.method = 'tools/call') AS tool_calls,
    coalesce(bs.tool_call_id, bc.tool_call_id) AS tool_call_id
  FROM servers s
  LEFT JOIN alive c ON c.recording = s.recording AND c.mcp_call_id = s.mcp_call_id
    AND c.pid = s.client_pid
  LEFT JOIN alive v ON v.recording = s.recording AND v.mcp_call_id = s.mcp_call_id
    AND v.pid = s.server_pid
  LEFT JOIN started_by bs ON bs.recording = s.recording AND bs.pid = s.server_pid
  LEFT JOIN started_by bc ON bc.recording = s.recording AND bc.pid = s.client_pid
  LEFT JOIN aliases x ON x.recording = s.recording
    AND x.server_pid IS NOT DISTINCT FROM s.server_pid AND x.client_pid = s.client_pid
    AND x.server_host IS NOT DISTINCT FROM s.server_host
    AND x.remote_port IS NOT DISTINCT FROM CASE WHEN s.server_host IS NOT NULL THEN s.server_port END
)
SELECT recording, server_pid, server_start_ns, client_pid, transport, server_port, server_host,
  session_id,
  server_name, server_alias, argv, mcp_call_id, init_ns, client_role, client_chain,
  started_by_client,
  client_role IS NOT DISTINCT FROM 'agent' AND (started_by_client OR transport <> 'stdio')
    AS configured,
  tool_call_id, tool_calls, branch_pid, branch_start_ns
FROM judged
ORDER BY recording, init_ns, server_pid, server_host;
