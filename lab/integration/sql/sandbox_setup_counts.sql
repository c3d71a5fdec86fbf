-- sandbox_setup_counts: file events a sandbox runtime made preparing its sandbox, and of them
-- those that wrote a path ending in $suffix (the sandbox checks: the workspace write is the
-- command's, not the runtime's).
SELECT count(*) FILTER (WHERE sandbox_setup) AS setup,
  count(*) FILTER (WHERE sandbox_setup AND written AND ends_with(path, $suffix)) AS taken
FROM file_events
