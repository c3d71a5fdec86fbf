-- mcp_links: an MCP server serves every tool call of its agent from one long-lived process, so
-- lineage and time alone cannot say which call its actions belong to. The JSON-RPC can: an
-- action of the server process (or of a process it started) between a `tools/call` request and
-- its response belongs to the LLM tool call that caused that MCP call (`mcp_tool_links`):
-- signal `mcp`, plus `argument:path` when the MCP arguments name the action's path. When calls
-- to the same server overlap, an action goes to the one whose arguments name its path, else to
-- the latest started, with the confidence shared out. This replaces the link correlation gave.
-- A pid reused is another process: the server is the incarnation of its pid alive at the call
-- (pid_incarnations in macros.sql, by ASOF JOIN), and the processes it started are found
-- incarnation by incarnation (lineage's ppid and parent_start_ns), so that a later process
-- with a pid the server or its child once had is not taken for theirs. A server's client is
-- never among its processes, nor anything the client started (but the processes between the
-- client and the server, which launched it: npx, uvx, sh -c, each on its own): a server that is its agent's
-- launcher (an editor that starts the agent and serves it tools over the agent's stdio) has
-- the agent's whole tree among its descendants, and what the agent does while a call is open
-- is the agent's, not the call's.
-- The link is changed where `links` keeps it (`correlate.link_rows`, link_rows.sql), or kept
-- there when the view gave it (an action of the agent's own that no tool call explained).
MERGE INTO correlate.link_rows AS links
USING (
  WITH RECURSIVE incs AS (FROM pid_incarnations('lineage')),
  calls AS (
    SELECT m.recording, m.mcp_call_id, m.server_pid, v.start_ns AS server_start_ns, m.start_ns,
      coalesce(m.end_ns, m.start_ns) AS end_ns, k.tool_call_id, m.arguments::VARCHAR AS args,
      m.client_pid, c.start_ns AS client_start_ns
    FROM mcp_calls m
    JOIN mcp_tool_links k ON k.recording = m.recording AND k.mcp_call_id = m.mcp_call_id
    ASOF LEFT JOIN incs v
      ON v.recording = m.recording AND v.pid = m.server_pid AND m.start_ns >= v.from_ns
    ASOF LEFT JOIN incs c
      ON c.recording = m.recording AND c.pid = m.client_pid AND m.start_ns >= c.from_ns
    WHERE m.server_pid IS NOT NULL
  ),
  -- each server's clients (incarnations): the tree below stops at them
  clients AS (
    SELECT DISTINCT recording, server_pid AS root, server_start_ns AS root_start_ns,
      client_pid AS pid, client_start_ns AS start_ns
    FROM calls
    WHERE client_pid IS NOT NULL
  ),
  tree AS (
    SELECT DISTINCT recording, server_pid AS root, server_start_ns AS root_start_ns,
      server_pid AS pid, server_start_ns AS start_ns
    FROM calls
    UNION
    SELECT t.recording, t.root, t.root_start_ns, l.pid, l.start_ns
    FROM tree t
    JOIN lineage l ON l.recording = t.recording AND l.ppid = t.pid
      AND l.parent_start_ns IS NOT DISTINCT FROM t.start_ns AND l.pid <> t.pid
    WHERE NOT EXISTS (SELECT 1 FROM clients k WHERE k.recording = t.recording
      AND k.root = t.root AND k.root_start_ns IS NOT DISTINCT FROM t.root_start_ns
      AND k.pid = l.pid AND k.start_ns IS NOT DISTINCT FROM l.start_ns)
  ),
  -- the processes that launched each server for its client (npx, uvx, sh -c: mcp_launchers in
  -- macros.sql) are the server's too, each on its own (not what else they started)
  members AS (
    SELECT recording, root, root_start_ns, pid, start_ns FROM tree
    UNION
    SELECT l.recording, l.server_pid, l.server_start_ns, l.pid, l.start_ns
    FROM mcp_launchers('mcp_calls', 'lineage') l
    JOIN (SELECT DISTINCT recording, server_pid, server_start_ns FROM calls) c
      ON c.recording = l.recording AND c.server_pid = l.server_pid
      AND c.server_start_ns IS NOT DISTINCT FROM l.server_start_ns
  ),
  -- An action is compared only with the calls of its own second, a call over a day on its
  -- server (by_second and over_a_day in macros.sql; on the server alone, every action of a
  -- long-lived server was compared with every call to it).
  call_seconds AS (FROM by_second('calls')),
  long_calls AS (FROM over_a_day('calls')),
  acts AS NOT MATERIALIZED (
    SELECT a.recording, a.event_table, a.event_id, a.session_id, a.ts_ns, a.path, a.path2, t.root,
      t.root_start_ns
    FROM actions a
    JOIN members t ON t.recording = a.recording AND t.pid = a.pid
      AND t.start_ns IS NOT DISTINCT FROM a.proc_start_ns
  ),
  in_call AS (
    SELECT a.*, c.tool_call_id, c.start_ns, c.args
    FROM acts a
    JOIN call_seconds c
      ON c.recording = a.recording AND c.server_pid = a.root
      AND c.server_start_ns IS NOT DISTINCT FROM a.root_start_ns
      AND c.second = a.ts_ns // 1000000000 AND a.ts_ns BETWEEN c.start_ns AND c.end_ns
    UNION ALL
    SELECT a.*, c.tool_call_id, c.start_ns, c.args
    FROM acts a
    JOIN long_calls c
      ON c.recording = a.recording AND c.server_pid = a.root
      AND c.server_start_ns IS NOT DISTINCT FROM a.root_start_ns
      AND a.ts_ns BETWEEN c.start_ns AND c.end_ns
  ),
  hits AS (
    SELECT a.recording, a.event_table, a.event_id, a.session_id, a.tool_call_id, a.start_ns,
      CASE WHEN a.path IS NOT NULL AND contains(a.args, a.path) THEN a.path
        WHEN a.path2 IS NOT NULL AND contains(a.args, a.path2) THEN a.path2 END AS matched,
      count(*) OVER (PARTITION BY a.recording, a.event_table, a.event_id) AS candidates
    FROM in_call a
  ),
  best AS (
    SELECT *, row_number() OVER (PARTITION BY recording, event_table, event_id
      ORDER BY matched IS NOT NULL DESC, start_ns DESC, tool_call_id DESC) AS n
    FROM hits
  )
  SELECT recording, event_table, event_id, session_id, tool_call_id, matched,
    CASE WHEN matched IS NOT NULL THEN ['mcp', 'argument:path'] ELSE ['mcp'] END AS signals,
    CASE WHEN matched IS NOT NULL OR candidates = 1 THEN 1.0 ELSE 1.0 / candidates END
      AS confidence
  FROM best WHERE n = 1
) x
ON links.recording = x.recording AND links.event_table = x.event_table
  AND links.event_id = x.event_id
WHEN MATCHED THEN UPDATE SET
  tool_call_id = x.tool_call_id,
  attribution = 'tool',
  signals = x.signals,
  confidence = x.confidence,
  matched = x.matched
WHEN NOT MATCHED THEN INSERT
  (recording, event_table, event_id, session_id, tool_call_id, attribution, signals,
    confidence, matched)
  VALUES (x.recording, x.event_table, x.event_id, x.session_id, x.tool_call_id, 'tool',
    x.signals, x.confidence, x.matched);
