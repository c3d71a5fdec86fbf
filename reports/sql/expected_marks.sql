-- expected_marks: what each chart of the report should draw, counted here independently of
-- the report's own queries (reports/testing.ts expectedMarks: the tests compare the two).
SELECT
  (SELECT count(*) FROM processes) AS processes,
  (SELECT count(*) FROM llm_calls WHERE request_ns IS NOT NULL) AS llm_calls,
  (SELECT count(*) FROM tool_calls WHERE requested_ns IS NOT NULL) AS tool_calls,
  (SELECT count(*) FROM process WHERE kind = 'exec') AS execs,
  (SELECT count(*) FROM file_events WHERE written) AS file_writes,
  (SELECT count(*) FROM net WHERE op IN ('connect', 'dns')) AS connections,
  (SELECT count(*) FROM mcp_calls WHERE method = 'tools/call') AS mcp_calls,
  (SELECT sum((coalesce(input_tokens, 0) > 0)::INT + (coalesce(output_tokens, 0) > 0)::INT
      + (coalesce(cache_read_tokens, 0) > 0)::INT + (coalesce(cache_write_tokens, 0) > 0)::INT)
    FROM llm_calls WHERE request_ns IS NOT NULL) AS tokens,
  (SELECT count(*) FROM llm_calls WHERE cost_usd IS NOT NULL AND request_ns IS NOT NULL)
    AS cost_calls,
  (SELECT count(ttft_ms) + count(duration_ms) FROM llm_calls) AS latency,
  (SELECT count(DISTINCT coalesce(model, '?')) FROM llm_calls WHERE cost_usd IS NOT NULL)
    AS model_cost
