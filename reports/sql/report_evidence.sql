-- report_evidence: the events a finding cites (`file:ID`, `net:ID`, `process:ID`), placed by
-- report_actions; tool and LLM call evidence is resolved from their own tables in the page.
-- The first $limit items of each finding.
WITH items AS (
  SELECT f.finding_id, e.item, e.pos
  FROM findings f, unnest(f.evidence) WITH ORDINALITY AS e(item, pos)
)
SELECT i.finding_id, i.pos, i.item, a.event_table, a.event_id, a.ts_ns, a.pid, a.proc_start_ns,
  left(a.label, 500) AS label
FROM items i
JOIN report_actions a
  ON a.event_table = split_part(i.item, ':', 1)
  AND a.event_id = TRY_CAST(split_part(i.item, ':', 2) AS BIGINT)
WHERE i.pos <= $limit
ORDER BY i.finding_id, i.pos;
