-- coverage_sleeps: the recorded processes of the interrupt_tool build script's `sleep 45` and how
-- each ended (the coverage matrix's check that Ctrl-C stopped the command: a signal ended it).
SELECT pid, end_ns IS NOT NULL AS ended, exit_code, exit_signal
FROM processes
WHERE comm = 'sleep' AND argv[2] = '45'
ORDER BY start_ns NULLS FIRST, pid
