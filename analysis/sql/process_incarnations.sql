-- process_incarnations: the part of processes.sql that reads only the raw tables, as two
-- working tables processes.sql reads and process_incarnations_drop.sql drops: each traced
-- pid's incarnations from its `process` rows (process_incarnations) and the first time each
-- pid did anything recorded in `file`, `net` or `tls` (process_activity). They need no table
-- the HTTP parse writes, so the analysis runs them on a connection of their own while the
-- parse runs (analyze.ts); their rules are processes.sql's.
CREATE OR REPLACE TABLE process_incarnations AS
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
)
-- the last value is the one of the last event in the order above (an incarnation has one fork
-- at most)
SELECT recording, pid, inc,
  coalesce(any_value(ppid) FILTER (WHERE kind = 'fork'),
    arg_max(ppid, (ts_ns, kind_order, row_no))) AS ppid,
  arg_max(comm, (ts_ns, kind_order, row_no)) AS comm,
  arg_max(filename, (ts_ns, kind_order, row_no)) FILTER (WHERE kind = 'exec') AS exe,
  arg_max(argv, (ts_ns, kind_order, row_no)) FILTER (WHERE kind = 'exec') AS argv,
  arg_max(cwd, (ts_ns, kind_order, row_no)) FILTER (WHERE kind = 'exec') AS cwd,
  (count(*) FILTER (WHERE kind = 'exec'))::INTEGER AS exec_count,
  min(ts_ns) FILTER (WHERE kind = 'fork') AS fork_ns,
  min(ts_ns) AS first_ns,
  max(ts_ns) FILTER (WHERE kind = 'exit') AS end_ns,
  max(exit_code) FILTER (WHERE kind = 'exit') AS exit_code,
  max(exit_signal) FILTER (WHERE kind = 'exit') AS exit_signal,
  arg_max(net_ns, (ts_ns, kind_order, row_no)) FILTER (WHERE net_ns IS NOT NULL) AS net_ns,
  arg_max(mnt_ns, (ts_ns, kind_order, row_no)) FILTER (WHERE mnt_ns IS NOT NULL) AS mnt_ns
FROM numbered
GROUP BY recording, pid, inc;
CREATE OR REPLACE TABLE process_activity AS
SELECT recording, pid, min(ts_ns) AS first_ns
FROM (
  SELECT recording, pid, ts_ns FROM file
  UNION ALL SELECT recording, pid, ts_ns FROM net
  UNION ALL SELECT recording, pid, ts_ns FROM tls
)
GROUP BY recording, pid;
