-- eval_mcp_scores: per recording, how the MCP attribution of the analysis compares with
-- `eval_mcp_truth`, signal by signal (counts; precision and recall are computed from them):
--   tool_*      `mcp_tool_links`: the LLM tool call behind each `tools/call`
--   ev_*        links with the signal `mcp` on the truth's events (server file events on a
--               marker's path): linked to the right LLM tool call; wr_* the same for writes
--   path_*      those of them that also carry `argument:path`
--   mcp_*       every link with the signal `mcp`: done by a process of the server the linked
--               tool call addressed (`mcp_same`), or of another server or none (`mcp_cross`)
--   srv_*       attribution `mcp_server`: of a configured server's process (`srv_ok`); and
--               every event of the servers' processes: attributed (`mcp` or `mcp_server`),
--               or left `unexplained`
--   overlap_*   pairs of the session's `tools/call`s whose request-to-answer spans overlap:
--               to the same server, and to two different servers
WITH
proc_of AS (
  SELECT a.recording, a.event_table, a.event_id, a.written, p.server
  FROM actions a
  ASOF JOIN (SELECT recording, pid, start_ns FROM processes) i
    ON i.recording = a.recording AND i.pid = a.pid AND a.ts_ns >= i.start_ns
  LEFT JOIN eval_mcp_processes p
    ON p.recording = a.recording AND p.pid = i.pid AND p.start_ns = i.start_ns
),
recs AS (SELECT DISTINCT recording FROM eval_mcp_actions),
truth_calls AS (
  SELECT DISTINCT recording, mcp_call_id, tool_call_id FROM eval_mcp_truth
  WHERE mcp_call_id IS NOT NULL
),
truth_ev AS (
  SELECT DISTINCT recording, tool_call_id, event_table, event_id FROM eval_mcp_truth
  WHERE event_id IS NOT NULL
),
-- the server each LLM tool call of the scenario addressed
tool_server AS (
  SELECT DISTINCT t.recording, t.tool_call_id, a.server
  FROM eval_mcp_truth t JOIN eval_mcp_actions a USING (recording, action_index)
),
mcp_links AS (
  SELECT l.recording, l.event_table, l.event_id, l.tool_call_id,
    list_contains(l.signals, 'argument:path') AS path
  FROM links l
  WHERE l.attribution = 'tool' AND list_contains(l.signals, 'mcp')
),
tool_scores AS (
  SELECT r.recording,
    (SELECT count(*) FROM truth_calls t WHERE t.recording = r.recording) AS tool_truth,
    (SELECT count(*) FROM mcp_tool_links k WHERE k.recording = r.recording) AS tool_predicted,
    (SELECT count(*) FROM mcp_tool_links k JOIN truth_calls t USING (recording, mcp_call_id, tool_call_id)
      WHERE k.recording = r.recording) AS tool_tp
  FROM recs r
),
ev AS (
  SELECT t.recording, t.event_table, t.event_id, t.tool_call_id AS truth_tool,
    m.tool_call_id AS linked_tool, m.path, p.written
  FROM truth_ev t
  LEFT JOIN mcp_links m USING (recording, event_table, event_id)
  JOIN proc_of p USING (recording, event_table, event_id)
),
ev_scores AS (
  SELECT recording,
    count(*) AS ev_truth,
    count(linked_tool) AS ev_predicted,
    count(*) FILTER (WHERE linked_tool = truth_tool) AS ev_tp,
    count(*) FILTER (WHERE written) AS wr_truth,
    count(linked_tool) FILTER (WHERE written) AS wr_predicted,
    count(*) FILTER (WHERE written AND linked_tool = truth_tool) AS wr_tp,
    count(*) FILTER (WHERE path) AS path_predicted,
    count(*) FILTER (WHERE path AND linked_tool = truth_tool) AS path_tp
  FROM ev GROUP BY recording
),
mcp_scores AS (
  SELECT m.recording, count(*) AS mcp_predicted,
    count(*) FILTER (WHERE p.server IS NOT NULL AND p.server = s.server) AS mcp_same,
    count(*) FILTER (WHERE p.server IS DISTINCT FROM s.server) AS mcp_cross
  FROM mcp_links m
  JOIN proc_of p USING (recording, event_table, event_id)
  LEFT JOIN tool_server s ON s.recording = m.recording AND s.tool_call_id = m.tool_call_id
  GROUP BY m.recording
),
srv_scores AS (
  SELECT p.recording,
    count(*) FILTER (WHERE l.attribution = 'mcp_server') AS srv_predicted,
    count(*) FILTER (WHERE l.attribution = 'mcp_server' AND p.server IS NOT NULL) AS srv_ok,
    count(*) FILTER (WHERE p.server IS NOT NULL) AS srv_events,
    count(*) FILTER (WHERE p.server IS NOT NULL AND (l.attribution = 'mcp_server'
      OR (l.attribution = 'tool' AND list_contains(l.signals, 'mcp')))) AS srv_attributed,
    count(*) FILTER (WHERE p.server IS NOT NULL AND l.attribution = 'unexplained')
      AS srv_unexplained
  FROM proc_of p
  JOIN links l USING (recording, event_table, event_id)
  GROUP BY p.recording
),
calls AS (
  SELECT recording, mcp_call_id, server_pid, start_ns, coalesce(end_ns, start_ns) AS end_ns
  FROM mcp_calls WHERE method = 'tools/call'
),
overlap AS (
  SELECT a.recording,
    count(*) FILTER (WHERE a.server_pid = b.server_pid) AS overlap_same,
    count(*) FILTER (WHERE a.server_pid <> b.server_pid) AS overlap_cross
  FROM calls a
  JOIN calls b ON b.recording = a.recording AND a.mcp_call_id < b.mcp_call_id
    AND a.start_ns < b.end_ns AND b.start_ns < a.end_ns
  GROUP BY a.recording
)
SELECT r.recording,
  (SELECT string_agg(DISTINCT s.agent, ',') FROM sessions s WHERE s.recording = r.recording)
    AS agent,
  t.tool_truth, t.tool_predicted, t.tool_tp,
  coalesce(e.ev_truth, 0) AS ev_truth, coalesce(e.ev_predicted, 0) AS ev_predicted,
  coalesce(e.ev_tp, 0) AS ev_tp, coalesce(e.wr_truth, 0) AS wr_truth,
  coalesce(e.wr_predicted, 0) AS wr_predicted, coalesce(e.wr_tp, 0) AS wr_tp,
  coalesce(e.path_predicted, 0) AS path_predicted, coalesce(e.path_tp, 0) AS path_tp,
  coalesce(m.mcp_predicted, 0) AS mcp_predicted, coalesce(m.mcp_same, 0) AS mcp_same,
  coalesce(m.mcp_cross, 0) AS mcp_cross,
  coalesce(v.srv_predicted, 0) AS srv_predicted, coalesce(v.srv_ok, 0) AS srv_ok,
  coalesce(v.srv_events, 0) AS srv_events, coalesce(v.srv_attributed, 0) AS srv_attributed,
  coalesce(v.srv_unexplained, 0) AS srv_unexplained,
  coalesce(o.overlap_same, 0) AS overlap_same, coalesce(o.overlap_cross, 0) AS overlap_cross,
  (SELECT count(*) FROM calls c WHERE c.recording = r.recording) AS mcp_calls
FROM recs r
JOIN tool_scores t USING (recording)
LEFT JOIN ev_scores e USING (recording)
LEFT JOIN mcp_scores m USING (recording)
LEFT JOIN srv_scores v USING (recording)
LEFT JOIN overlap o USING (recording)
ORDER BY r.recording;
