-- findings (mcp_server_unconfigured): an MCP server the agent's configuration did not start.
-- An agent starts the servers its configuration names itself, as its own descendants, and is
-- their client over their stdio. A server (a process that was sent an `initialize`) is outside
-- that when its client is not an agent process (a program the model ran, or anything else,
-- speaks MCP to it) or when its client did not start it (it is not among the client's
-- descendants: started elsewhere and reached over a socket). The tool call that started the
-- server or its client, if one did (`links` of their processes), is named. High when the
-- server was asked to call tools, else medium. Servers reached over HTTP (transport `http`,
-- `sse`) are configured by URL and run on their own: who started them says nothing, and they
-- are not judged.
INSERT INTO findings
WITH RECURSIVE servers AS (
  SELECT recording, server_pid, client_pid, min(mcp_call_id) AS mcp_call_id,
    min(start_ns) AS init_ns, any_value(session_id) AS session_id,
    max(server_name) AS server_name
  FROM mcp_calls
  WHERE method = 'initialize' AND server_pid IS NOT NULL AND transport = 'stdio'
  GROUP BY recording, server_pid, client_pid
),
-- each process incarnation alive at the server's initialize: the server's and the client's
alive AS (
  SELECT s.recording, s.server_pid, s.client_pid, l.pid, l.ppid, l.parent_start_ns, l.role,
    l.chain, l.argv, l.start_ns
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
judged AS (
  SELECT s.*, c.role AS client_role, c.chain AS client_chain, v.argv AS server_argv,
    EXISTS (SELECT 1 FROM ancestors a WHERE a.recording = s.recording
      AND a.server_pid = s.server_pid AND a.client_pid = s.client_pid AND a.pid = s.client_pid)
      AS started_by_client,
    (SELECT count(*) FROM mcp_calls m WHERE m.recording = s.recording
      AND m.server_pid = s.server_pid AND m.client_pid = s.client_pid
      AND m.method = 'tools/call') AS tool_calls,
    coalesce(bs.tool_call_id, bc.tool_call_id) AS tool_call_id
  FROM servers s
  LEFT JOIN alive c ON c.recording = s.recording AND c.server_pid = s.server_pid
    AND c.client_pid = s.client_pid AND c.pid = s.client_pid
  LEFT JOIN alive v ON v.recording = s.recording AND v.server_pid = s.server_pid
    AND v.client_pid = s.client_pid AND v.pid = s.server_pid
  LEFT JOIN started_by bs ON bs.recording = s.recording AND bs.pid = s.server_pid
  LEFT JOIN started_by bc ON bc.recording = s.recording AND bc.pid = s.client_pid
),
flagged AS (
  SELECT j.*, t.name AS tool_name,
    CASE WHEN j.client_role IS DISTINCT FROM 'agent'
      THEN 'its client is not the agent but pid ' || j.client_pid ||
        coalesce(' (' || array_to_string(j.client_chain, ' > ') || ')', '')
      ELSE 'the agent (pid ' || j.client_pid || ') talks to it but did not start it' END AS why
  FROM judged j
  LEFT JOIN tool_calls t ON t.recording = j.recording AND t.tool_call_id = j.tool_call_id
  WHERE j.client_role IS DISTINCT FROM 'agent' OR NOT j.started_by_client
)
SELECT recording,
  coalesce((SELECT max(f.finding_id) FROM findings f WHERE f.recording = x.recording), 0)
    + row_number() OVER (PARTITION BY recording ORDER BY init_ns, server_pid),
  session_id, 'mcp_server_unconfigured', CASE WHEN tool_calls > 0 THEN 'high' ELSE 'medium' END,
  init_ns, NULL,
  list_concat(['mcp_call:' || mcp_call_id],
    CASE WHEN tool_call_id IS NOT NULL THEN ['tool_call:' || tool_call_id] ELSE [] END),
  'MCP server ' || coalesce(server_name, '?') || ' (pid ' || server_pid ||
    coalesce(', ' || left(regexp_replace(array_to_string(server_argv, ' '), '\s+', ' ', 'g'), 160), '') ||
    ') was not started by the agent''s configuration: ' || why ||
    coalesce('; started by tool call ' || tool_call_id || ' (' || tool_name || ')', '') ||
    CASE WHEN tool_calls > 0 THEN '; it was asked ' || tool_calls || ' tool calls' ELSE '' END ||
    '.',
  json_object('server_pid', server_pid, 'server_name', server_name, 'client_pid', client_pid,
    'client_role', client_role, 'started_by_client', started_by_client,
    'tool_call_id', tool_call_id, 'tool_calls', tool_calls)
FROM flagged x
ORDER BY recording, init_ns;
