-- processes: one row per traced process incarnation (a pid reused after an exit is a new row),
-- from the raw `process` events. A process whose TLS traffic carries LLM calls is an agent
-- process (role `agent`, here); its descendants are found once, by correlation's lineage.sql,
-- and given their agent by process_agents.sql. An incarnation is known by (pid, start_ns): the
-- ASOF joins of file_events, net_events, lineage and the report find an event's or a child's
-- incarnation by it. Two incarnations of a pid start at the same time only if the first both
-- started and ended in that nanosecond, which a capture cannot record (a process runs between
-- its fork and its exit, and their times are nanoseconds).
INSERT INTO processes
WITH ordered AS (
  -- a fork starts a new incarnation of the pid, and so does any event after its exit (a pid
  -- reused by a process whose fork was not seen, e.g. one followed by --comm); ties in time
  -- are ordered fork, exec, the rest, then as loaded
  SELECT p.*, p.rowid AS row_no,
    CASE WHEN kind = 'fork' THEN 0 WHEN kind = 'exec' THEN 1 ELSE 2 END AS kind_order
  FROM process p
),
starts AS (
  SELECT *,
    CASE WHEN kind = 'fork' OR (kind <> 'exit' AND lag(kind) OVER (
      PARTITION BY recording, pid ORDER BY ts_ns, kind_order, row_no) = 'exit')
    THEN 1 ELSE 0 END AS starts
  FROM ordered
),
numbered AS (
  SELECT *,
    sum(starts) OVER (
      PARTITION BY recording, pid ORDER BY ts_ns, kind_order, row_no
      ROWS BETWEEN UNBOUNDED PRECEDING AND CURRENT ROW
    ) AS inc
  FROM starts
),
-- the first time each pid did anything recorded besides forks, execs and exits
activity AS (
  SELECT recording, pid, min(ts_ns) AS first_ns
  FROM (
    SELECT recording, pid, ts_ns FROM file
    UNION ALL SELECT recording, pid, ts_ns FROM net
    UNION ALL SELECT recording, pid, ts_ns FROM tls
    UNION ALL SELECT recording, pid, request_ns FROM llm_calls WHERE request_ns IS NOT NULL
  )
  GROUP BY recording, pid
),
incs AS (
  -- the last value is the one of the last event in the order above (an incarnation has one
  -- fork at most)
  SELECT recording, pid, inc,
    coalesce(any_value(ppid) FILTER (WHERE kind = 'fork'),
      arg_max(ppid, (ts_ns, kind_order, row_no))) AS ppid,
    arg_max(comm, (ts_ns, kind_order, row_no)) AS comm,
    arg_max(filename, (ts_ns, kind_order, row_no)) FILTER (WHERE kind IN ('exec', 'joined')) AS exe,
    arg_max(argv, (ts_ns, kind_order, row_no)) FILTER (WHERE kind IN ('exec', 'joined')) AS argv,
    arg_max(cwd, (ts_ns, kind_order, row_no)) FILTER (WHERE kind IN ('exec', 'joined')) AS cwd,
    (count(*) FILTER (WHERE kind = 'exec'))::INTEGER AS exec_count,
    min(ts_ns) FILTER (WHERE kind = 'fork') AS fork_ns,
    min(ts_ns) AS first_ns,
    max(ts_ns) FILTER (WHERE kind = 'exit') AS end_ns,
    max(exit_code) FILTER (WHERE kind = 'exit') AS exit_code,
    max(exit_signal) FILTER (WHERE kind = 'exit') AS exit_signal,
    arg_max(net_ns, (ts_ns, kind_order, row_no)) FILTER (WHERE net_ns IS NOT NULL) AS net_ns,
    arg_max(mnt_ns, (ts_ns, kind_order, row_no)) FILTER (WHERE mnt_ns IS NOT NULL) AS mnt_ns
  FROM numbered
  GROUP BY recording, pid, inc
),
procs AS (
  -- an incarnation starts at its fork; the first one of a pid without a fork (started before
  -- the capture, or joined with --pid) at the first thing it was seen doing
  SELECT i.recording, i.pid, i.inc, i.ppid, i.comm, i.exe, i.argv, i.cwd, i.exec_count,
    coalesce(i.fork_ns, CASE WHEN i.inc = 0 THEN least(i.first_ns, a.first_ns) END, i.first_ns)
      AS start_ns,
    i.end_ns, i.exit_code, i.exit_signal, i.net_ns, i.mnt_ns
  FROM incs i
  LEFT JOIN activity a ON a.recording = i.recording AND a.pid = i.pid
  UNION ALL
  -- processes seen doing things but with no fork, exec or exit recorded (joined with --pid)
  SELECT a.recording, a.pid, -1, NULL, NULL, NULL, NULL, NULL, 0, a.first_ns, NULL, NULL, NULL,
    NULL, NULL
  FROM activity a
  WHERE NOT EXISTS (SELECT 1 FROM process p WHERE p.recording = a.recording AND p.pid = a.pid)
),
-- the agent a pid's calls name most often (agent_of_pid in macros.sql)
agents AS (FROM agent_of_pid('llm_calls')),
callers AS (
  SELECT c.recording, c.pid, count(*) AS n, any_value(a.agent) AS agent, -- one per pid
    min(c.request_ns) AS first_ns
  FROM llm_calls c
  LEFT JOIN agents a ON a.recording = c.recording AND a.pid = c.pid
  GROUP BY c.recording, c.pid
),
roots AS (
  -- the incarnation of each calling pid that ran at its first call (else the latest before)
  SELECT p.recording, p.pid, p.inc, c.agent
  FROM procs p JOIN callers c ON c.recording = p.recording AND c.pid = p.pid
  QUALIFY row_number() OVER (
    PARTITION BY p.recording, p.pid
    ORDER BY (p.start_ns <= c.first_ns AND coalesce(p.end_ns, c.first_ns) >= c.first_ns) DESC,
      p.start_ns DESC, p.inc DESC
  ) = 1
)
SELECT p.recording, p.pid, p.ppid, p.comm, p.exe, p.argv, p.cwd, p.exec_count,
  p.start_ns, p.end_ns, p.exit_code, p.exit_signal,
  r.agent, CASE WHEN r.pid IS NOT NULL THEN p.pid END,
  CASE WHEN r.pid IS NOT NULL THEN 'agent' END,
  CASE WHEN r.pid IS NOT NULL THEN coalesce(c.n, 0) ELSE 0 END,
  p.net_ns, p.mnt_ns,
  CASE WHEN r.pid IS NOT NULL THEN false END, NULL, NULL, NULL, NULL, NULL
FROM procs p
LEFT JOIN roots r ON r.recording = p.recording AND r.pid = p.pid AND r.inc = p.inc
LEFT JOIN callers c ON c.recording = p.recording AND c.pid = p.pid
ORDER BY p.recording, p.start_ns, p.pid;
