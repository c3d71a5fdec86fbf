-- otlp_actions: the events linked to a tool call that a trace shows one by one: file system
-- changes (`written`: pseudo-files under /dev, /proc and /sys left out but /dev/shm's, a
-- symlink judged by its new name), connects and DNS questions, in time order; `agent` marks those of the agent
-- process itself.
SELECT l.tool_call_id, a.event_table, a.event_id, a.ts_ns, a.pid, a.proc_start_ns,
  a.pid = l.session_id AS agent, a.op, a.path, a.path2, a.addr, a.port, a.qname, a.family,
  a.ok, a.ret
FROM links l
JOIN actions a USING (recording, event_table, event_id)
WHERE l.attribution = 'tool' AND l.tool_call_id IS NOT NULL
  AND ((a.event_table = 'file' AND a.written) OR a.event_table = 'net')
ORDER BY l.tool_call_id, a.ts_ns, a.event_table, a.event_id;
