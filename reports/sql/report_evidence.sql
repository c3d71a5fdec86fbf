-- report_evidence: the events a finding cites (`file:ID`, `net:ID`, `process:ID`), placed by
-- report_actions, and the plain HTTP exchanges it cites (`http_exchange:ID`: what an
-- exfiltration sent), placed at their request on the process that made them; tool and LLM call
-- evidence is resolved from their own tables in the page.
-- The first $limit items of each finding.
WITH items AS (
  SELECT f.finding_id, e.item, e.pos
  FROM findings f, unnest(f.evidence) WITH ORDINALITY AS e(item, pos)
),
exchanges AS (
  SELECT e.exchange_id, coalesce(e.request_ns, e.response_ns) AS ts_ns, e.pid,
    'HTTP ' || coalesce(e.method, '?') || ' ' || coalesce(e.host, '') || coalesce(e.path, '') ||
      ' → ' || coalesce(CAST(e.status AS VARCHAR), 'no answer') || ', ' ||
      CAST(e.request_bytes AS VARCHAR) || ' bytes sent' AS label
  FROM http_exchanges e
  WHERE coalesce(e.request_ns, e.response_ns) IS NOT NULL
)
SELECT i.finding_id, i.pos, i.item, a.event_table, a.event_id, a.ts_ns, a.pid, a.proc_start_ns,
  left(a.label, 500) AS label
FROM items i
JOIN report_actions a
  ON a.event_table = split_part(i.item, ':', 1)
  AND a.event_id = TRY_CAST(split_part(i.item, ':', 2) AS BIGINT)
WHERE i.pos <= $limit
UNION ALL
SELECT i.finding_id, i.pos, i.item, 'http_exchange' AS event_table, x.exchange_id AS event_id,
  x.ts_ns, x.pid, p.start_ns AS proc_start_ns, left(x.label, 500) AS label
FROM items i
JOIN exchanges x
  ON split_part(i.item, ':', 1) = 'http_exchange'
  AND x.exchange_id = TRY_CAST(split_part(i.item, ':', 2) AS BIGINT)
ASOF LEFT JOIN processes p ON p.pid = x.pid AND x.ts_ns >= p.start_ns
WHERE i.pos <= $limit
ORDER BY finding_id, pos;
