-- signal_actions: every signal a traced process sent (privilege rows of kill and its relatives),
-- in time order, with its link, the process it went to (an incarnation running then) and how
-- that process ended (the dev-server check).
SELECT a.pid AS sender, a.op, a.target_pid, a.summary, a.ok, l.tool_call_id, l.attribution,
  t.comm AS target_comm, t.exit_signal AS target_exit_signal, t.exit_code AS target_exit_code
FROM actions a
JOIN links l USING (recording, event_table, event_id)
LEFT JOIN processes t
  ON t.recording = a.recording AND t.pid = a.target_pid AND t.start_ns <= a.ts_ns
  AND coalesce(t.end_ns, a.ts_ns) >= a.ts_ns
WHERE a.event_table = 'privilege' AND a.op IN ('kill', 'tkill', 'tgkill', 'pidfd_send_signal',
  'rt_sigqueueinfo')
ORDER BY a.ts_ns, a.event_id
