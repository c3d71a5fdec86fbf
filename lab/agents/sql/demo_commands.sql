-- demo_commands: the commands the agents ran, and the tool call that asked for each (demo.ts,
-- through `deno task sql` over the demo's recordings).
SELECT a.recording, a.pid, left(array_to_string(a.argv, ' '), 70) AS command,
  t.name AS tool, l.tool_call_id AS call, round(l.confidence, 2) AS confidence
FROM actions a
JOIN links l USING (recording, event_table, event_id)
LEFT JOIN tool_calls t USING (recording, tool_call_id)
WHERE a.event_table = 'process' AND a.op = 'exec' AND l.attribution = 'tool'
ORDER BY a.recording, a.ts_ns
