-- coverage_unended: the traced processes with no recorded end and when each was forked (the
-- coverage matrix's interrupt check: which of them the agent left running, ctrl_c.ts leftRunning).
SELECT pid, comm, start_ns
FROM processes
WHERE end_ns IS NULL AND start_ns IS NOT NULL
ORDER BY pid
