-- mcp_tools: every tool of every `tools/list` answer, as the server described it to the agent
-- (and so, through the agent, to the model).
INSERT INTO mcp_tools
SELECT c.recording, c.mcp_call_id, c.server_pid, c.server_name,
  json_extract_string(t.tool, '$.name'), json_extract_string(t.tool, '$.description'),
  json_extract(t.tool, '$.inputSchema')
FROM mcp_calls c,
  LATERAL (SELECT unnest(json_extract(c.result, '$.tools[*]')) AS tool) t
WHERE c.method = 'tools/list' AND c.result IS NOT NULL
ORDER BY c.recording, c.mcp_call_id;
