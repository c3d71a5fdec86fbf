-- step_exec_links: the tool calls that the execs of the long session's step script ($script,
-- an argument of theirs) are linked to, one row per tool call (the long-session check).
SELECT DISTINCT l.tool_call_id
FROM links l
JOIN actions a USING (recording, event_table, event_id)
WHERE a.op = 'exec' AND list_contains(a.argv, $script) AND l.tool_call_id IS NOT NULL
ORDER BY l.tool_call_id
