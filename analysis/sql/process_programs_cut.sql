-- process_programs_cut: the processes of recording $1 whose program process_programs.sql could
-- not find because the walk up their forks (through processes that had not exec'd) did not end
-- at one that had (`kind`): `truncated`, it reached its limit (64 generations) and would have
-- gone on; `cycle`, it met a process already on it (a loop of parents: `loop_pids`, from the
-- one met again round to it). Their `exe` is null from their fork until they exec. Read from
-- the walk that build step left for this connection (process_program_walks).
SELECT w.pid, w.from_ns, p.comm, CASE WHEN w.cut THEN 'truncated' ELSE 'cycle' END AS kind,
  w.loop AS loop_pids
FROM process_program_walks w
LEFT JOIN processes p ON p.recording = w.recording AND p.pid = w.pid AND p.start_ns = w.from_ns
WHERE (w.cut OR w.loop IS NOT NULL) AND w.recording = $1
-- (a fork recorded twice is walked twice: each process once)
QUALIFY row_number() OVER (PARTITION BY w.pid, w.from_ns ORDER BY w.cut DESC) = 1
ORDER BY w.from_ns, w.pid;
