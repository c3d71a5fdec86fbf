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
  -- file_events' `written` and `sandbox_setup` over the raw `file` and `processes`, without
  -- the program lookup (process_programs) the view joins and this count does not read
  (SELECT count(DISTINCT changed) FROM (
    SELECT unnest(changed_paths(f.op, f.path, f.path2)) AS changed
    FROM file f
    ASOF LEFT JOIN processes p
      ON p.recording = f.recording AND p.pid = f.pid AND f.ts_ns >= p.start_ns
    WHERE f.recording = $1 AND changes_files(f.op, f.flags, f.ret, f.path, f.path2)
      AND NOT coalesce(f.ts_ns < p.sandbox_setup_ns, false)
  ) WHERE NOT pseudo_file(changed)) AS files_written,
  (SELECT count(*) FROM problems WHERE recording = $1) AS problems;
