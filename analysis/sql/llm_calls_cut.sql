-- llm_calls_cut: the processes of recording $1 whose LLM calls llm_call_agents.sql could not
-- name for sure because the walk up their lineage reached its limit (64 generations) with no
-- program that names an agent found and would have gone on: their `agent` is the nearest
-- program's name, or null. With how many calls and the process's name (its `comm`). Read from
-- the names that build step left for this connection (llm_call_names).
SELECT n.pid, count(*) AS calls,
  (SELECT any_value(p.comm) FROM processes p WHERE p.recording = $1 AND p.pid = n.pid) AS comm
FROM llm_call_names n
WHERE n.cut AND n.recording = $1
GROUP BY n.pid
ORDER BY n.pid;
