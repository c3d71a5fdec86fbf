-- file_write_links: the links of the writes of file $path, with the name of the tool call
-- each is linked to (the MCP checks: the server's write is the LLM write call's).
SELECT l.tool_call_id, l.signals, l.attribution, t.name
FROM links l JOIN actions a USING (recording, event_table, event_id)
JOIN tool_calls t USING (recording, tool_call_id)
WHERE a.event_table = 'file' AND a.written AND a.path = $path
