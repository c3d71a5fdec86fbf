-- mcp_receiver_ended: the MCP requests without an answer that were not cancelled whose
-- receiver's process (the server's for a client's request, the client's for a server's own
-- request) ended after the request came: a server killed or crashed while it served a call,
-- whose client then says only that the connection closed. With the end the kernel recorded:
-- exit code or signal, and who sent that signal (`processes.killed_by_pid`); each process
-- named by the file name of the program it ran then (`process_programs`: the receiver's at its
-- end, the sender's of the signal when it sent it; not its last one: a shell that sent the
-- signal and then exec'd `sleep` is `sh`), else its comm.
-- Left out, as no sign of a call cut short: one whose tool call (`mcp_tool_links`) got a
-- result the agent did not mark as an error before the receiver ended (its answer came, the
-- capture lost it); one whose sender ended first (a client that closed the server's stdin and
-- exited, then the server); and a server's request to a client that exited 0 unsignalled (a
-- client done with its session owes no answer). `lost_writes`: the receiver's writes to the
-- sender after the request with bytes lost or cut by the capture (its answer may be among
-- them).
-- Over stdio and HTTP+SSE, where the receiver's process is known; over streamable HTTP
-- (`http`) a missing answer is the HTTP reading's own problem.
SELECT q.recording, q.mcp_call_id, m.jsonrpc_id, q.method, q.tool, q.transport,
  q.server_pid, q.server_host, q.server_name, q.from_server, p.pid AS receiver,
  coalesce(path_base(CASE WHEN pg.from_ns >= p.start_ns THEN pg.exe END), p.comm) AS program,
  p.exit_code, signal_name(p.exit_signal) AS exit_signal, p.killed_by_pid,
  coalesce(path_base(CASE WHEN kg.from_ns >= k.start_ns THEN kg.exe END), k.comm) AS killer, (p.end_ns - q.start_ns) // 1000000 AS after_ms,
  (SELECT count(*) FROM ipc i WHERE i.recording = q.recording AND i.ts_ns >= q.start_ns
    AND i.ts_ns <= p.end_ns AND (i.truncated OR i.lost > 0)
    AND ((i.pid = p.pid AND i.direction = 'write' AND coalesce(i.peer_pid, s.pid) = s.pid)
      OR (i.pid = s.pid AND i.direction = 'read' AND coalesce(i.peer_pid, p.pid) = p.pid)))
    AS lost_writes
FROM mcp_calls q
JOIN mcp_messages m ON m.recording = q.recording AND m.message_id = q.mcp_call_id
JOIN processes p ON p.recording = q.recording
  AND p.pid = CASE WHEN q.from_server THEN q.client_pid ELSE q.server_pid END
  AND p.start_ns <= q.start_ns AND p.end_ns >= q.start_ns
LEFT JOIN processes s ON s.recording = q.recording
  AND s.pid = CASE WHEN q.from_server THEN q.server_pid ELSE q.client_pid END
  AND s.start_ns <= q.start_ns AND coalesce(s.end_ns, q.start_ns) >= q.start_ns
LEFT JOIN processes k ON k.recording = p.recording AND k.pid = p.killed_by_pid
  AND k.start_ns <= p.killed_by_ns AND coalesce(k.end_ns, p.killed_by_ns) >= p.killed_by_ns
ASOF LEFT JOIN process_programs pg
  ON pg.recording = p.recording AND pg.pid = p.pid AND p.end_ns >= pg.from_ns
ASOF LEFT JOIN process_programs kg
  ON kg.recording = k.recording AND kg.pid = k.pid AND p.killed_by_ns >= kg.from_ns
WHERE q.end_ns IS NULL AND NOT q.cancelled AND q.transport <> 'http'
  AND NOT coalesce(s.end_ns <= p.end_ns, false)
  AND NOT (q.from_server AND p.exit_code = 0 AND p.exit_signal IS NULL)
  AND NOT EXISTS (SELECT 1 FROM mcp_tool_links l
    JOIN tool_calls t ON t.recording = l.recording AND t.tool_call_id = l.tool_call_id
    WHERE l.recording = q.recording AND l.mcp_call_id = q.mcp_call_id
      AND t.result_ns <= p.end_ns AND NOT coalesce(t.result_is_error, false))
ORDER BY q.recording, q.mcp_call_id;
