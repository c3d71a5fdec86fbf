-- report_overview: the recording's manifest and its totals, one row.
SELECT r.recording, r.path, r.command, r.started_ns, r.ended_ns, r.exit_code, r.complete, r.host,
  r.tool_version,
  (SELECT count(*) FROM llm_calls) AS llm_calls,
  (SELECT count(*) FROM tool_calls) AS tool_calls,
  (SELECT count(*) FROM processes) AS processes,
  (SELECT count(*) FROM problems) AS problems,
  (SELECT sum(input_tokens) FROM llm_calls) AS input_tokens,
  (SELECT sum(output_tokens) FROM llm_calls) AS output_tokens,
  (SELECT sum(cache_read_tokens) FROM llm_calls) AS cache_read_tokens,
  (SELECT sum(cost_usd) FROM llm_calls) AS cost_usd,
  (SELECT count(*) FROM llm_calls WHERE cost_usd IS NULL) AS unpriced_calls,
  (SELECT min(ts_ns) FROM (
    SELECT min(start_ns) AS ts_ns FROM processes
    UNION ALL SELECT min(request_ns) FROM llm_calls
  )) AS first_ns,
  (SELECT max(ts_ns) FROM (
    SELECT max(coalesce(end_ns, start_ns)) AS ts_ns FROM processes
    UNION ALL SELECT max(end_ns) FROM llm_calls
  )) AS last_ns
FROM recordings r
LIMIT 1;
