-- tool_writes_after: per write of a file whose name ends with $suffix, the tool call it is
-- linked to, whether by lineage, whether it came after that tool call's result (work the
-- command left running: setsid, nohup, a background job), and whether the writing process was
-- in a network namespace other than its agent's (the daemon checks).
SELECT a.path, l.tool_call_id, list_contains(l.signals, 'lineage') AS lineage,
  a.ts_ns > t.result_ns AS after_result, p.net_ns IS DISTINCT FROM ag.net_ns AS own_net_ns
FROM links l JOIN actions a USING (recording, event_table, event_id)
JOIN tool_calls t USING (recording, tool_call_id)
LEFT JOIN (SELECT recording, pid, any_value(agent_pid) AS agent_pid, any_value(net_ns) AS net_ns
  FROM processes GROUP BY ALL) p ON p.recording = a.recording AND p.pid = a.pid
LEFT JOIN (SELECT recording, pid, any_value(net_ns) AS net_ns FROM processes GROUP BY ALL) ag
  ON ag.recording = a.recording AND ag.pid = p.agent_pid
WHERE a.event_table = 'file' AND a.written AND ends_with(a.path, $suffix)
ORDER BY a.path, a.ts_ns
