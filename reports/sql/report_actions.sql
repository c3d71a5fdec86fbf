-- report_actions: the events the report shows, read from correlation's `actions` (one
-- numbering of events, one write rule, one process incarnation per event): what the timeline
-- shows each as (`shown`: `exec`, `write`, `net`, or null for events it leaves out) and its
-- one-line label. A temporary view: the analysed database is opened read-only.
CREATE OR REPLACE TEMP VIEW report_actions AS
SELECT event_table, event_id, ts_ns, pid, op,
  CASE
    WHEN event_table = 'process' AND op = 'exec' THEN 'exec'
    WHEN event_table = 'file' AND written THEN 'write'
    WHEN event_table = 'net' AND op IN ('connect', 'dns') THEN 'net'
  END AS shown,
  summary AS label,
  proc_start_ns
FROM actions;
