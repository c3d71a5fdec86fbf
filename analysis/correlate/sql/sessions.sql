-- sessions: one row per agent process (role `agent` in `lineage`) with its LLM totals, the
-- user's request (the first main call's new user text) and its outermost launcher.
INSERT INTO sessions
WITH agents AS (
  -- the agent the session's calls name most often (agent_of_pid in macros.sql), as
  -- processes.sql names an agent process's
  FROM agent_of_pid('llm_calls')
),
calls AS (
  SELECT recording, pid AS session_id,
    count(*) AS llm_calls,
    count(*) FILTER (WHERE kind = 'main') AS main_calls,
    coalesce(sum(input_tokens), 0) AS input_tokens,
    coalesce(sum(output_tokens), 0) AS output_tokens,
    sum(cost_usd) AS cost_usd,
    first_prompt(user_input, kind, request_ns, llm_call_id) AS prompt -- (macros.sql)
  FROM llm_calls
  GROUP BY recording, pid
),
first_use AS (
  SELECT recording, pid AS session_id, list(model ORDER BY first_ns, model) AS models
  FROM (
    SELECT recording, pid, model, min(request_ns) AS first_ns
    FROM llm_calls WHERE model IS NOT NULL GROUP BY ALL
  )
  GROUP BY ALL
),
tools AS (
  SELECT t.recording, c.pid AS session_id, count(*) AS tool_calls
  FROM tool_calls t JOIN llm_calls c ON c.recording = t.recording AND c.llm_call_id = t.llm_call_id
  GROUP BY ALL
),
procs AS (
  SELECT recording, session_id, count(*) AS n
  FROM lineage WHERE role IN ('agent', 'descendant') GROUP BY ALL
),
outermost AS (
  -- of launchers started at the same time, the lowest pid
  SELECT recording, session_id, arg_min(pid, (start_ns, pid)) AS launcher_pid
  FROM lineage WHERE role = 'launcher' GROUP BY ALL
)
SELECT a.recording, a.session_id, g.agent, a.start_ns, a.end_ns, a.cwd, o.launcher_pid,
  coalesce(c.llm_calls, 0), coalesce(c.main_calls, 0), coalesce(t.tool_calls, 0),
  coalesce(c.input_tokens, 0), coalesce(c.output_tokens, 0), c.cost_usd, f.models, c.prompt,
  coalesce(p.n, 1)
FROM lineage a
LEFT JOIN calls c ON c.recording = a.recording AND c.session_id = a.session_id
LEFT JOIN agents g ON g.recording = a.recording AND g.pid = a.session_id
LEFT JOIN first_use f ON f.recording = a.recording AND f.session_id = a.session_id
LEFT JOIN tools t ON t.recording = a.recording AND t.session_id = a.session_id
LEFT JOIN procs p ON p.recording = a.recording AND p.session_id = a.session_id
LEFT JOIN outermost o ON o.recording = a.recording AND o.session_id = a.session_id
WHERE a.role = 'agent'
ORDER BY a.recording, a.start_ns, a.session_id;
