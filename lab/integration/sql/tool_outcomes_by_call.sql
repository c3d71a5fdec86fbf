-- tool_outcomes_by_call: each tool call in order with its command (null for a tool that names
-- none), whether the agent flagged its result as an error, how the kernel says it ended
-- (`tool_outcomes`), and, when a recorded signal ended it, the parent of the process that sent
-- it (the tool outcome checks).
SELECT t.tool_call_id, t.name, coalesce(t.input->>'command', t.input->>'cmd') AS command,
  t.result_is_error, o.outcome, o.failed, o.processes, o.pid, o.killed_by_pid,
  k.ppid AS killer_ppid
FROM tool_calls t
JOIN tool_outcomes o ON o.recording = t.recording AND o.tool_call_id = t.tool_call_id
ASOF LEFT JOIN processes k
  ON k.recording = o.recording AND k.pid = o.killed_by_pid AND o.end_ns >= k.start_ns
ORDER BY t.tool_call_id
