-- sandbox_file_actions: the file actions on paths ending in $suffix, with the tool call each is
-- linked to and whether its process ran in a sandbox (the sandbox checks: a write inside the
-- workspace and one refused outside it, both by the sandboxed command of their tool call).
SELECT l.tool_call_id, l.attribution, a.op, a.path, a.ok, a.written, p.sandboxed
FROM actions a
JOIN links l USING (recording, event_table, event_id)
JOIN processes p ON p.recording = a.recording AND p.pid = a.pid AND p.start_ns = a.proc_start_ns
WHERE a.event_table = 'file' AND ends_with(a.path, $suffix)
ORDER BY a.ts_ns, a.event_id
