-- lineage_cut: the agents of recording $1 whose ancestors lineage.sql's walk up (for its
-- `launcher` role) did not follow to the top, each once by its incarnation (pid, start_ns: a
-- pid reused is another agent), with its name (its `chain`), and why (`kind`):
-- `truncated`, the walk stopped at its limit, 64 generations, with more recorded above (an
-- ancestor further up is `outside` though it may be a launcher of that agent alone); `cycle`,
-- the walk met an incarnation already on its path (a loop of parents: a damaged recording, or
-- pids reused with their forks unseen) and stopped there: `loop_pids` and `loop_names` name the
-- loop from that incarnation round to it again. Walks `lineage` up again, from the agents only
-- (a few rows), one generation past the limit only to know that it was cut.
WITH RECURSIVE
up(pid, start_ns, cur_pid, cur_start_ns, cur_name, at_pid, at_start_ns, level, path, names,
  cycle) AS (
  SELECT pid, start_ns, pid, start_ns, chain[-1], ppid, parent_start_ns, 0,
    NULL::STRUCT(pid INTEGER, start_ns BIGINT)[], NULL::VARCHAR[], false
  FROM lineage WHERE recording = $1 AND role = 'agent'
  UNION ALL
  SELECT u.pid, u.start_ns, p.pid, p.start_ns, p.chain[-1], p.ppid, p.parent_start_ns,
    u.level + 1, walk_path(u.path, u.cur_pid, u.cur_start_ns, p.pid, p.start_ns),
    -- (the names of the incarnations on the path)
    CASE WHEN p.start_ns = u.cur_start_ns
      THEN list_append(coalesce(u.names, [u.cur_name]), p.chain[-1]) END,
    on_path(u.path, u.cur_pid, u.cur_start_ns, p.pid, p.start_ns)
  FROM up u
  JOIN lineage p ON p.recording = $1 AND p.pid = u.at_pid AND p.start_ns = u.at_start_ns
  WHERE u.level < 65 AND NOT u.cycle
),
-- each walk's end when it was cut or closed a loop (an incarnation has one parent: one each)
ends AS (
  SELECT pid, start_ns, cycle, list_position(path, path[-1]) AS from_i, path, names
  FROM up WHERE cycle OR level = 65
  -- (a fork recorded twice walks a loop twice: one per agent, the shortest)
  QUALIFY row_number() OVER (PARTITION BY pid, start_ns ORDER BY level) = 1
)
SELECT e.pid, e.start_ns, a.chain[1] AS name,
  CASE WHEN e.cycle THEN 'cycle' ELSE 'truncated' END AS kind,
  CASE WHEN e.cycle THEN list_transform(e.path[e.from_i:], k -> k.pid) END AS loop_pids,
  CASE WHEN e.cycle THEN e.names[e.from_i:] END AS loop_names
FROM ends e
LEFT JOIN lineage a ON a.recording = $1 AND a.pid = e.pid AND a.start_ns = e.start_ns
ORDER BY e.start_ns, e.pid;
