-- report_events: what the timeline marks — execs, file writes, connections and DNS questions —
-- the first $limit of each kind in time order, with how many of that kind there are.
SELECT shown, event_table, event_id, ts_ns, pid, proc_start_ns, op, left(label, 500) AS label,
  total
FROM (
  SELECT *, count(*) OVER (PARTITION BY shown) AS total
  FROM report_actions
  WHERE shown IS NOT NULL
)
WHERE shown_n <= $limit
ORDER BY ts_ns, event_table, event_id;
