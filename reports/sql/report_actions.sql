-- report_actions: the events the report shows, read from correlation's `actions` (one
-- numbering of events, one write rule, one process incarnation per event): what the timeline
-- shows each as (`shown`: `exec`, `write`, `net`, or null for events it leaves out) and its
-- one-line label, and its place among the events shown as that kind in time order (`shown_n`,
-- from 1; null when not shown), which the timeline's "first $limit of each kind" reads.
-- A temporary view: the analysed database is opened read-only.
CREATE OR REPLACE TEMP VIEW report_actions AS
SELECT *,
  CASE WHEN shown IS NOT NULL THEN
    row_number() OVER (PARTITION BY shown ORDER BY ts_ns, event_table, event_id)
  END AS shown_n
FROM (
  SELECT event_table, event_id, ts_ns, pid, op,
    CASE
      WHEN event_table = 'process' AND op = 'exec' THEN 'exec'
      WHEN event_table = 'file' AND written THEN 'write'
      WHEN event_table = 'net' AND op IN ('connect', 'dns') THEN 'net'
    END AS shown,
    summary AS label,
    proc_start_ns
  FROM actions
);
