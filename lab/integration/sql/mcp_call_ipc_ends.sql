-- mcp_call_ipc_ends: for the servers of MCP tools/calls, which end (pid, its peer) recorded
-- which direction of their stdio (the MCP checks: both ends, both ways).
SELECT DISTINCT m.server_pid, i.pid, i.peer_pid, i.direction
FROM mcp_calls m JOIN ipc i ON i.recording = m.recording
  AND ((i.pid = m.server_pid AND i.peer_pid = m.client_pid)
    OR (i.pid = m.client_pid AND i.peer_pid = m.server_pid))
WHERE m.method = 'tools/call'
