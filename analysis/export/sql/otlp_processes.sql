-- otlp_processes: every process incarnation (other than the agent process itself) with events
-- linked to a tool call, once per tool call: what it ran, when it started and ended, how it
-- exited, how sure the link is, and how many files it only read.
SELECT l.tool_call_id, a.pid, a.proc_start_ns, p.ppid, p.comm, p.exe, p.argv, p.cwd,
  p.start_ns, p.end_ns, p.exit_code, p.exit_signal,
  max(l.confidence) AS confidence,
  list_sort(list_distinct(flatten(list(l.signals)))) AS signals,
  count(*) FILTER (WHERE a.event_table = 'file' AND NOT a.written) AS file_reads
FROM links l
JOIN actions a USING (recording, event_table, event_id)
LEFT JOIN processes p ON p.pid = a.pid AND p.start_ns IS NOT DISTINCT FROM a.proc_start_ns
WHERE l.attribution = 'tool' AND l.tool_call_id IS NOT NULL AND a.pid <> l.session_id
GROUP BY ALL
ORDER BY l.tool_call_id, a.proc_start_ns, a.pid;
