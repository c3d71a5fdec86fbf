-- connect_links: the links of the connects process $pid made (the MCP checks: the server's
-- connect while serving a call is that call's).
SELECT l.tool_call_id, l.signals, a.op
FROM links l JOIN actions a USING (recording, event_table, event_id)
WHERE a.pid = $pid AND a.event_table = 'net' AND a.op = 'connect'
