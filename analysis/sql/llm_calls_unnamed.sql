-- llm_calls_unnamed: the processes of recording $1 whose LLM calls name no agent (neither their
-- User-Agent nor a program of their lineage: llm_call_agents.sql), first caller first: the pid,
-- its calls, whether any fork, exec, exit or join of it was recorded, and its last name (comm).
SELECT c.pid, count(*) AS n,
  EXISTS (SELECT 1 FROM process p WHERE p.recording = c.recording AND p.pid = c.pid) AS seen,
  (SELECT arg_max(p.comm, p.ts_ns) FROM process p
    WHERE p.recording = c.recording AND p.pid = c.pid) AS comm
FROM llm_calls c
WHERE c.recording = $1 AND c.agent IS NULL
GROUP BY c.recording, c.pid
ORDER BY min(c.request_ns) NULLS LAST, c.pid
