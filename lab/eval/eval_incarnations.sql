-- eval_incarnations: the evaluation's own view of the process tree, from kernel facts alone
-- (`processes` pid, ppid and start times; not the correlator's `lineage`), shared by the truth
-- queries, made before them:
--   eval_incarnations  (a temporary table: DuckDB cannot run an ASOF join inside a recursive
--                      CTE) each process incarnation with its parent's (the parent pid's
--                      latest incarnation started no later than it)
--   eval_descent       (a temporary table, made once: the truth queries join it several
--                      times) each incarnation (root_pid, root_start_ns) with itself and
--                      every incarnation descending from it, parent by parent
CREATE OR REPLACE TEMP TABLE eval_incarnations AS
SELECT p.recording, p.pid, p.start_ns, p.end_ns, p.ppid, p.agent_pid,
  q.start_ns AS parent_start_ns
FROM processes p
ASOF LEFT JOIN processes q
  ON q.recording = p.recording AND q.pid = p.ppid AND p.start_ns >= q.start_ns;

CREATE OR REPLACE TEMP TABLE eval_descent AS
WITH RECURSIVE d(recording, root_pid, root_start_ns, pid, start_ns) AS (
  SELECT recording, pid, start_ns, pid, start_ns FROM eval_incarnations
  UNION
  SELECT d.recording, d.root_pid, d.root_start_ns, i.pid, i.start_ns
  FROM d
  JOIN eval_incarnations i
    ON i.recording = d.recording AND i.ppid = d.pid AND i.parent_start_ns = d.start_ns
)
SELECT * FROM d;
