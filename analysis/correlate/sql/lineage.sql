-- lineage: every process incarnation of `processes` placed in an agent's tree. Agents are the
-- processes `processes` marks as making LLM calls; their descendants are found by fork parentage
-- (a child's parent is the incarnation of its ppid that had started by then), without entering
-- another agent's tree (a nested agent is its own session). Launchers are the ancestors of
-- exactly one agent; every other process is outside all sessions.
INSERT INTO lineage
WITH RECURSIVE
parents AS (
  SELECT c.recording, c.pid, c.start_ns, c.end_ns, c.ppid, p.start_ns AS parent_start_ns,
    c.agent_role, c.exe, c.argv, c.cwd, c.exit_code,
    coalesce(nullif(regexp_extract(c.exe, '[^/]+$'), ''), c.comm, '?') AS name
  FROM processes c
  ASOF LEFT JOIN processes p
    ON p.recording = c.recording AND p.pid = c.ppid AND c.start_ns >= p.start_ns
),
down(recording, pid, start_ns, session_id, depth, branch_pid, branch_start_ns, chain) AS (
  SELECT recording, pid, start_ns, pid, 0, NULL::INTEGER, NULL::BIGINT, [name]
  FROM parents
  WHERE agent_role = 'agent'
  UNION ALL
  SELECT c.recording, c.pid, c.start_ns, d.session_id, d.depth + 1,
    CASE WHEN d.depth = 0 THEN c.pid ELSE d.branch_pid END,
    CASE WHEN d.depth = 0 THEN c.start_ns ELSE d.branch_start_ns END,
    list_append(d.chain, c.name)
  FROM parents c
  JOIN down d
    ON c.recording = d.recording AND c.ppid = d.pid AND c.parent_start_ns = d.start_ns
  WHERE c.agent_role IS DISTINCT FROM 'agent' AND c.pid <> d.pid
),
-- each agent's ancestors, 64 generations at most; a walk that meets an incarnation already on
-- its path (a loop of parents: a damaged recording, or pids reused with their forks unseen)
-- stops there (`cycle`: that row repeats one already walked; lineage_cut.sql says it)
up(recording, session_id, pid, start_ns, ppid, parent_start_ns, level, path, cycle) AS (
  SELECT p.recording, a.pid, p.pid, p.start_ns, p.ppid, p.parent_start_ns, 1,
    walk_path(NULL, a.pid, a.start_ns, p.pid, p.start_ns),
    on_path(NULL, a.pid, a.start_ns, p.pid, p.start_ns)
  FROM parents a
  JOIN parents p
    ON p.recording = a.recording AND p.pid = a.ppid AND p.start_ns = a.parent_start_ns
  WHERE a.agent_role = 'agent'
  UNION ALL
  SELECT p.recording, u.session_id, p.pid, p.start_ns, p.ppid, p.parent_start_ns, u.level + 1,
    walk_path(u.path, u.pid, u.start_ns, p.pid, p.start_ns),
    on_path(u.path, u.pid, u.start_ns, p.pid, p.start_ns)
  FROM up u
  JOIN parents p
    ON p.recording = u.recording AND p.pid = u.ppid AND p.start_ns = u.parent_start_ns
  WHERE u.level < 64 AND NOT u.cycle
),
tree AS (
  SELECT * FROM down
  QUALIFY row_number() OVER (PARTITION BY recording, pid, start_ns ORDER BY depth, session_id) = 1
),
launchers AS (
  SELECT recording, pid, start_ns, min(session_id) AS session_id
  FROM up
  WHERE NOT cycle
  GROUP BY recording, pid, start_ns
  HAVING count(DISTINCT session_id) = 1
)
SELECT p.recording, p.pid, p.start_ns, p.end_ns, p.ppid, p.parent_start_ns,
  coalesce(t.session_id, l.session_id) AS session_id,
  CASE
    WHEN t.depth = 0 THEN 'agent'
    WHEN t.depth > 0 THEN 'descendant'
    WHEN l.session_id IS NOT NULL THEN 'launcher'
    ELSE 'outside'
  END AS role,
  t.depth, t.branch_pid, t.branch_start_ns, coalesce(t.chain, [p.name]) AS chain,
  p.exe, p.argv, p.cwd, p.exit_code
FROM parents p
LEFT JOIN tree t ON t.recording = p.recording AND t.pid = p.pid AND t.start_ns = p.start_ns
LEFT JOIN launchers l
  ON l.recording = p.recording AND l.pid = p.pid AND l.start_ns = p.start_ns AND t.pid IS NULL
ORDER BY p.recording, p.start_ns, p.pid;
