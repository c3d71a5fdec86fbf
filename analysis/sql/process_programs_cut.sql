-- process_programs_cut: the processes of recording $1 whose program process_programs.sql could
-- not find because the walk up their forks reached its limit (64 generations of processes that
-- had not exec'd) and would have gone on: their `exe` is null from their fork until they exec.
-- Read from the walk that build step left for this connection (process_program_walks).
SELECT w.pid, w.from_ns, p.comm
FROM process_program_walks w
LEFT JOIN processes p ON p.recording = w.recording AND p.pid = w.pid AND p.start_ns = w.from_ns
WHERE w.cut AND w.recording = $1
ORDER BY w.from_ns, w.pid;
