-- mcp_links: an MCP server serves every tool call of its agent from one long-lived process, so
-- lineage and time alone cannot say which call its actions belong to. The JSON-RPC can: an
-- action of the server process (or of a process it started) between a `tools/call` request and
-- its response belongs to the LLM tool call that caused that MCP call (`mcp_tool_links`):
-- signal `mcp`, plus `argument:path` when the MCP arguments name the action's path. When calls
-- to the same server overlap, an action goes to the one whose arguments name its path, else to
-- the latest started, with the confidence shared out. This replaces the link correlation gave.
UPDATE links SET
  tool_call_id = x.tool_call_id,
  attribution = 'tool',
  signals = x.signals,
  confidence = x.confidence,
  matched = x.matched
FROM (
  WITH RECURSIVE tree AS (
    SELECT DISTINCT recording, server_pid AS root, server_pid AS pid
    FROM mcp_calls WHERE server_pid IS NOT NULL AND method = 'tools/call'
    UNION
    SELECT t.recording, t.root, l.pid
    FROM tree t JOIN lineage l ON l.recording = t.recording AND l.ppid = t.pid AND l.pid <> t.pid
  ),
  calls AS (
    SELECT m.recording, m.mcp_call_id, m.server_pid, m.start_ns,
      coalesce(m.end_ns, m.start_ns) AS end_ns, k.tool_call_id, m.arguments::VARCHAR AS args
    FROM mcp_calls m
    JOIN mcp_tool_links k ON k.recording = m.recording AND k.mcp_call_id = m.mcp_call_id
  ),
  -- An action is compared only with the calls of its own second, a call over a day on its
  -- server (by_second and over_a_day in macros.sql; on the server alone, every action of a
  -- long-lived server was compared with every call to it).
  call_seconds AS (FROM by_second('calls')),
  long_calls AS (FROM over_a_day('calls')),
  acts AS NOT MATERIALIZED (
    SELECT a.recording, a.event_table, a.event_id, a.ts_ns, a.path, a.path2, t.root
    FROM actions a
    JOIN tree t ON t.recording = a.recording AND t.pid = a.pid
  ),
  in_call AS (
    SELECT a.*, c.tool_call_id, c.start_ns, c.args
    FROM acts a
    JOIN call_seconds c
      ON c.recording = a.recording AND c.server_pid = a.root
      AND c.second = a.ts_ns // 1000000000 AND a.ts_ns BETWEEN c.start_ns AND c.end_ns
    UNION ALL
    SELECT a.*, c.tool_call_id, c.start_ns, c.args
    FROM acts a
    JOIN long_calls c
      ON c.recording = a.recording AND c.server_pid = a.root
      AND a.ts_ns BETWEEN c.start_ns AND c.end_ns
  ),
  hits AS (
    SELECT a.recording, a.event_table, a.event_id, a.tool_call_id, a.start_ns,
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
  SELECT recording, event_table, event_id, tool_call_id, matched,
    CASE WHEN matched IS NOT NULL THEN ['mcp', 'argument:path'] ELSE ['mcp'] END AS signals,
    CASE WHEN matched IS NOT NULL OR candidates = 1 THEN 1.0 ELSE 1.0 / candidates END
      AS confidence
  FROM best WHERE n = 1
) x
WHERE links.recording = x.recording AND links.event_table = x.event_table
  AND links.event_id = x.event_id;
