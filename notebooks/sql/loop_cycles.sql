-- loop_cycles: runs of the same failing tool call (candidate reasoning loops) with what they
-- cost and when the alert fired, in seconds from the first process start.
WITH t0 AS (SELECT min(start_ns) AS t0 FROM processes)
SELECT c.session_id, c.name, c.cycles, left(c.input, 120) AS input, left(c.result, 160) AS result,
  c.failure, c.llm_calls, c.input_tokens, c.output_tokens, c.cost_usd, c.tokens_at_threshold,
  round((c.start_ns - t0.t0) / 1e9, 3) AS start_s,
  round((c.threshold_ns - t0.t0) / 1e9, 3) AS alert_s,
  round((c.end_ns - t0.t0) / 1e9, 3) AS end_s
FROM tool_cycles c CROSS JOIN t0
ORDER BY c.start_ns, c.session_id, c.first_tool_call_id;
