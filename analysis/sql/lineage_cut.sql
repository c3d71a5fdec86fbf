-- lineage_cut: the agents of recording $1 whose ancestors lineage.sql's walk up (for its
-- `launcher` role) stopped following at its limit, 64 generations, with more recorded above:
-- an ancestor further up is `outside` though it may be a launcher of that agent alone. With the
-- agent's name (its `chain`). Walks `lineage` up again, from the agents only (a few rows).
WITH RECURSIVE up(session_id, ppid, parent_start_ns, level) AS (
  SELECT pid, ppid, parent_start_ns, 0
  FROM lineage WHERE recording = $1 AND role = 'agent'
  UNION ALL
  SELECT u.session_id, p.ppid, p.parent_start_ns, u.level + 1
  FROM up u
  JOIN lineage p ON p.recording = $1 AND p.pid = u.ppid AND p.start_ns = u.parent_start_ns
  WHERE u.level < 65
)
SELECT u.session_id AS pid, any_value(a.chain[1]) AS name
FROM up u
LEFT JOIN lineage a ON a.recording = $1 AND a.pid = u.session_id AND a.role = 'agent'
WHERE u.level = 65
GROUP BY u.session_id
ORDER BY u.session_id;
