-- process_ends: every traced process, how it ended (null: no exit recorded) and its first
-- arguments, in start order (the interrupt checks).
SELECT pid, ppid, comm, argv[1:3] AS argv, exit_code, exit_signal, end_ns IS NOT NULL AS ended
FROM processes
ORDER BY start_ns NULLS FIRST, pid
