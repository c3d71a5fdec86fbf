-- processes: one row per traced process incarnation (a pid reused after an exit is a new row),
-- from the raw `process` events. A process whose TLS traffic carries LLM calls is an agent
-- process (role `agent`, here); its descendants are found once, by correlation's lineage.sql,
-- and given their agent by process_agents.sql. An incarnation is known by (pid, start_ns): the
-- ASOF joins of file_events, net_events, lineage and the report find an event's or a child's
-- incarnation by it. Two incarnations of a pid start at the same time only if the first both
-- started and ended in that nanosecond, which a capture cannot record (a process runs between
-- its fork and its exit, and their times are nanoseconds).
INSERT INTO processes
WITH
-- the first time each pid did anything recorded besides forks, execs and exits: in the raw
-- tables (process_incarnations.sql) or by an LLM call
activity AS (
  SELECT recording, pid, min(first_ns) AS first_ns
  FROM (
    SELECT recording, pid, first_ns FROM process_activity
    UNION ALL SELECT recording, pid, request_ns FROM llm_calls WHERE request_ns IS NOT NULL
  )
  GROUP BY recording, pid
),
-- each pid's incarnations (process_incarnations.sql)
incs AS (FROM process_incarnations),
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
