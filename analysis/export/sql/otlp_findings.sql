-- otlp_findings: every finding, with the first tool call its evidence names (the span it is
-- shown on; otherwise its session's span).
SELECT f.finding_id, f.session_id, f.kind, f.severity, f.start_ns, f.end_ns, f.evidence,
  f.explanation, f.details::VARCHAR AS details,
  TRY_CAST(regexp_extract(
    list_filter(f.evidence, e -> starts_with(e, 'tool_call:'))[1], 'tool_call:(\d+)', 1
  ) AS BIGINT) AS tool_call_id
FROM findings f
ORDER BY f.finding_id;
