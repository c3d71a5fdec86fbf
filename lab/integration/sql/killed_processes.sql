-- killed_processes: every process that ended by a signal, in start order, with the traced
-- process that sent it the signal when one was recorded (`processes.killed_by_*`).
SELECT pid, comm, exit_signal, killed_by_pid, killed_by_signal
FROM processes
WHERE exit_signal IS NOT NULL
ORDER BY start_ns, pid
