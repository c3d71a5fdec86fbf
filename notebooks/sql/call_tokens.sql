-- call_tokens: each LLM call's time (seconds from the first process start), session, tokens
-- (input + output, cache reads included as reported) and the running total per session.
WITH t0 AS (SELECT min(start_ns) AS t0 FROM processes)
SELECT c.llm_call_id, c.pid AS session_id, round((c.request_ns - t0.t0) / 1e9, 3) AS t_s,
  coalesce(c.input_tokens, 0) + coalesce(c.output_tokens, 0) AS tokens,
  sum(coalesce(c.input_tokens, 0) + coalesce(c.output_tokens, 0))
    OVER (PARTITION BY c.pid ORDER BY c.request_ns, c.llm_call_id) AS running_tokens
FROM llm_calls c CROSS JOIN t0
WHERE c.request_ns IS NOT NULL
ORDER BY c.request_ns, c.llm_call_id;
