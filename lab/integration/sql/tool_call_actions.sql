-- tool_call_actions: the actions linked to tool call $tool_call_id as its own, in time order
-- (the Ollama checks).
SELECT a.op, a.argv, a.addr, a.port, a.pid
FROM links l JOIN actions a USING (recording, event_table, event_id)
WHERE l.attribution = 'tool' AND l.tool_call_id = $tool_call_id
ORDER BY a.ts_ns
