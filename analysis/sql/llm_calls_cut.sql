-- llm_calls_cut: the processes of recording $1 whose LLM calls llm_call_agents.sql could not
-- name for sure because the walk up their lineage found no program that names an agent and did
-- not end at the top (`kind`): `truncated`, it reached its limit (64 generations) and would have
-- gone on; `cycle`, it met an event already on it (a loop of parents: `loop_pids`, from the one
-- met again round to it). Their `agent` is the nearest program's name, or null. Each process
-- once by its incarnation at the calls (pid_incarnations: a pid reused is another process),
-- with how many calls and its name (its `comm`). Read from the names that build step left for
-- this connection (llm_call_names).
SELECT n.pid, count(*) AS calls, any_value(p.comm) AS comm,
  CASE WHEN bool_or(n.cut) THEN 'truncated' ELSE 'cycle' END AS kind,
  CASE WHEN NOT bool_or(n.cut) THEN any_value(n.loop) END AS loop_pids
FROM llm_call_names n
JOIN llm_calls l ON l.recording = n.recording AND l.llm_call_id = n.llm_call_id
ASOF LEFT JOIN pid_incarnations('processes') p
  ON p.recording = n.recording AND p.pid = n.pid AND l.request_ns >= p.from_ns
WHERE (n.cut OR n.loop IS NOT NULL) AND n.recording = $1
GROUP BY n.pid, p.start_ns
ORDER BY min(l.request_ns), n.pid;
