-- mcp_server_attributions: per MCP server, whether configured, and the attributions of its
-- processes' actions (the MCP checks).
SELECT s.server_name, s.configured,
  list(DISTINCT l.attribution ORDER BY l.attribution) AS attributions
FROM mcp_servers s
JOIN actions a ON a.recording = s.recording AND a.pid = s.server_pid
JOIN links l ON l.recording = a.recording AND l.event_table = a.event_table
  AND l.event_id = a.event_id
GROUP BY ALL ORDER BY s.server_name
