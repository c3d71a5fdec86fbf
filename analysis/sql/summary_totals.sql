-- summary_totals: one row of counts for one recording ($1).
SELECT
  (SELECT count(*) FROM llm_calls WHERE recording = $1) AS llm_calls,
  (SELECT count(*) FROM llm_calls WHERE recording = $1 AND incomplete) AS incomplete_calls,
  (SELECT count(*) FROM llm_calls WHERE recording = $1 AND (outcome = 'error' OR status >= 400))
    AS failed_calls,
  (SELECT round(sum(cost_usd), 6) FROM llm_calls WHERE recording = $1) AS cost_usd,
  (SELECT count(*) FROM llm_calls WHERE recording = $1 AND cost_usd IS NULL) AS unpriced_calls,
  (SELECT count(*) FROM tool_calls WHERE recording = $1) AS tool_calls,
  (SELECT count(*) FROM tool_calls WHERE recording = $1 AND result_llm_call_id IS NOT NULL)
    AS tool_results,
  (SELECT count(*) FROM http_exchanges WHERE recording = $1) AS http_exchanges,
  (SELECT count(*) FROM processes WHERE recording = $1) AS processes,
  (SELECT count(*) FROM processes WHERE recording = $1 AND agent_role IS NOT NULL)
    AS agent_processes,
  (SELECT count(DISTINCT p) FROM (
    SELECT unnest(changed_paths(op, path, path2)) AS p FROM file_events
    WHERE recording = $1 AND written AND NOT sandbox_setup
  ) WHERE NOT pseudo_file(p)) AS files_written,
  (SELECT count(*) FROM problems WHERE recording = $1) AS problems;
