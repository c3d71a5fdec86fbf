-- report_findings: the detectors' findings, most severe first, then in time order; $limit caps
-- the rows and `total` says how many there are.
SELECT finding_id, session_id, kind, severity, start_ns, end_ns, evidence, explanation,
  CAST(details AS VARCHAR) AS details,
  count(*) OVER () AS total
FROM findings
ORDER BY CASE severity WHEN 'critical' THEN 0 WHEN 'high' THEN 1 WHEN 'medium' THEN 2
  WHEN 'low' THEN 3 ELSE 4 END, start_ns, finding_id
LIMIT $limit;
