-- tool_outcomes: how each tool call's command ended, by the kernel's evidence. The processes a
-- tool call started are the agent's children (depth 1 in `lineage`: the top of each process
-- branch) whose process events `links` attributes to it; each ended as `processes` says: an
-- exit status, a signal (with who sent it, when recorded), or not at all before the capture
-- ended. Of several, the one with the most confident link decides (the command's own process
-- over a helper matched only by time), then the worst end (a signal, a non-zero exit, still
-- running, a zero exit), then the first started. A tool call with no such process ran none
-- that was traced and linked: `no process`.
INSERT INTO tool_outcomes
WITH roots AS (
  SELECT l.recording, l.tool_call_id, a.pid, a.proc_start_ns AS start_ns,
    max(l.confidence) AS confidence,
    list(a.event_id ORDER BY a.event_id) FILTER (WHERE a.op = 'exec') AS execs,
    min(a.event_id) FILTER (WHERE a.op = 'fork') AS fork_event,
    max(a.event_id) FILTER (WHERE a.op = 'exit') AS exit_event
  FROM links l
  JOIN actions a USING (recording, event_table, event_id)
  WHERE l.event_table = 'process' AND a.event_table = 'process' AND l.attribution = 'tool'
    AND a.role = 'descendant'
    AND a.pid = a.branch_pid AND a.proc_start_ns = a.branch_start_ns
  GROUP BY ALL
),
ended AS (
  SELECT r.*, p.end_ns, p.exit_code, p.exit_signal, p.killed_by_pid,
    CASE
      WHEN p.exit_signal IS NOT NULL THEN 0
      WHEN p.exit_code <> 0 THEN 1
      WHEN p.end_ns IS NULL THEN 2
      ELSE 3
    END AS severity
  FROM roots r
  JOIN processes p ON p.recording = r.recording AND p.pid = r.pid AND p.start_ns = r.start_ns
),
per_call AS (
  SELECT recording, tool_call_id, count(*) AS n,
    arg_min({pid: pid, start_ns: start_ns, end_ns: end_ns, exit_code: exit_code,
      exit_signal: exit_signal, killed_by_pid: killed_by_pid, exit_event: exit_event},
      (-confidence, severity, start_ns, pid)) AS decider,
    flatten(list(coalesce(execs, [fork_event]) ORDER BY start_ns, pid)) AS started
  FROM ended
  GROUP BY ALL
),
decided AS (
  SELECT recording, tool_call_id, n, started, unnest(decider) FROM per_call
)
SELECT t.recording, t.tool_call_id, c.pid, t.name,
  CASE
    WHEN o.pid IS NULL THEN 'no process'
    WHEN o.exit_signal IS NOT NULL THEN 'killed ' || signal_name(o.exit_signal)
    WHEN o.end_ns IS NULL THEN 'still running at end'
    ELSE 'exited ' || coalesce(o.exit_code::VARCHAR, '?')
  END,
  CASE
    WHEN o.exit_signal IS NOT NULL THEN true
    WHEN o.end_ns IS NOT NULL AND o.exit_code IS NOT NULL THEN o.exit_code <> 0
  END,
  coalesce(o.n, 0), o.pid, o.start_ns, o.end_ns, o.exit_code, o.exit_signal, o.killed_by_pid,
  list_transform(
    list_filter(list_concat(coalesce(o.started, []), [o.exit_event]), x -> x IS NOT NULL),
    x -> 'process:' || x)
FROM tool_calls t
JOIN llm_calls c ON c.recording = t.recording AND c.llm_call_id = t.llm_call_id
LEFT JOIN decided o ON o.recording = t.recording AND o.tool_call_id = t.tool_call_id
ORDER BY t.recording, t.tool_call_id;
