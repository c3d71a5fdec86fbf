-- findings_list: every finding, most severe first, with seconds from the first process start.
WITH t0 AS (SELECT min(start_ns) AS t0 FROM processes)
SELECT f.finding_id, f.session_id, f.kind, f.severity,
  round((f.start_ns - t0.t0) / 1e9, 3) AS start_s,
  round((f.end_ns - t0.t0) / 1e9, 3) AS end_s,
  len(f.evidence) AS evidence_items, f.explanation
FROM findings f CROSS JOIN t0
ORDER BY CASE f.severity WHEN 'critical' THEN 0 WHEN 'high' THEN 1 WHEN 'medium' THEN 2
  WHEN 'low' THEN 3 ELSE 4 END, f.start_ns, f.finding_id;
