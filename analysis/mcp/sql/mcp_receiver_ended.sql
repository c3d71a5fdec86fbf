-- mcp_receiver_ended: the MCP requests without an answer that were not cancelled whose
-- receiver's process (the server's for a client's request, the client's for a server's own
-- request) ended after the request came: a server killed or crashed while it served a call,
-- whose client then says only that the connection closed. With the end the kernel recorded:
-- exit code or signal, and who sent that signal (`processes.killed_by_pid`); each process
-- named by its program's file name.
-- Over stdio and HTTP+SSE, where the receiver's process is known; over streamable HTTP
-- (`http`) a missing answer is the HTTP reading's own problem.
SELECT q.recording, q.mcp_call_id, m.jsonrpc_id, q.method, q.tool, q.transport,
  q.server_pid, q.server_host, q.server_name, q.from_server, p.pid AS receiver,
  coalesce(nullif(regexp_extract(p.exe, '[^/]*$'), ''), p.comm) AS program,
  p.exit_code, signal_name(p.exit_signal) AS exit_signal, p.killed_by_pid,
  coalesce(nullif(regexp_extract(k.exe, '[^/]*$'), ''), k.comm) AS killer, (p.end_ns - q.start_ns) // 1000000 AS after_ms
FROM mcp_calls q
JOIN mcp_messages m ON m.recording = q.recording AND m.message_id = q.mcp_call_id
JOIN processes p ON p.recording = q.recording
  AND p.pid = CASE WHEN q.from_server THEN q.client_pid ELSE q.server_pid END
  AND p.start_ns <= q.start_ns AND p.end_ns >= q.start_ns
LEFT JOIN processes k ON k.recording = p.recording AND k.pid = p.killed_by_pid
  AND k.start_ns <= p.killed_by_ns AND coalesce(k.end_ns, p.killed_by_ns) >= p.killed_by_ns
WHERE q.end_ns IS NULL AND NOT q.cancelled AND q.transport <> 'http'
ORDER BY q.recording, q.mcp_call_id;
