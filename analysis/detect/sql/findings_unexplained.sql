-- findings (unexplained_activity): processes of a session that no tool call explains (links
-- attribution `unexplained`) and that changed files outside home directories, /tmp, /var/tmp,
-- /dev, /proc and /run, or reached destinations outside the allowlist: something no LLM
-- decision asked for. Agents start such helpers themselves (git, lsb_release, shell
-- snapshots), but those read, or write only under their HOME and /tmp. One finding per
-- process branch, named by the command that started it (its first exec: what was run, not
-- what it became) and, when it later ran another, that one too; medium for network, low for
-- writes alone. Sensitive reads of such processes are already `sensitive_access` findings.
INSERT INTO findings
WITH linked AS (
  SELECT a.recording, a.session_id, a.branch_pid, a.branch_start_ns, a.event_table, a.event_id,
    a.ts_ns, a.pid, a.summary,
    a.event_table = 'file' AND a.written
      AND NOT regexp_matches(coalesce(a.path2, a.path),
        '^(/tmp|/var/tmp|/dev|/proc|/run|/root)(/|$)|/home(/|$)') AS wrote,
    -- a connect through a proxy has a destination per host asked of it: outside when any is,
    -- and named by the outside ones
    a.event_table = 'net' AND EXISTS (SELECT 1 FROM net_destinations d
      WHERE d.recording = a.recording AND d.event_id = a.event_id AND NOT d.allowed) AS outside,
    CASE WHEN a.event_table = 'net' THEN (SELECT string_agg(DISTINCT d.name, ', ' ORDER BY d.name)
      FROM net_destinations d
      WHERE d.recording = a.recording AND d.event_id = a.event_id AND NOT d.allowed) END
      AS outside_names
  FROM links l
  JOIN actions a USING (recording, event_table, event_id)
  -- links.session_id is its action's: filtered on links' side, the join hashes these few links
  -- (the planner otherwise took every action to hash)
  WHERE l.attribution = 'unexplained' AND l.session_id IS NOT NULL
),
acts AS (
  SELECT * EXCLUDE (outside_names) REPLACE (
    CASE WHEN outside AND outside_names IS NOT NULL AND NOT contains(summary, outside_names)
      THEN summary || ' (' || outside_names || ')' ELSE summary END AS summary)
  FROM linked
),
g AS (
  SELECT recording, session_id, branch_pid, branch_start_ns,
    min(ts_ns) FILTER (WHERE wrote OR outside) AS start_ns,
    max(ts_ns) FILTER (WHERE wrote OR outside) AS end_ns,
    bool_or(outside) AS network,
    list(event_table || ':' || event_id ORDER BY ts_ns, event_table, event_id)
      FILTER (WHERE wrote OR outside) AS ev,
    list(DISTINCT summary ORDER BY summary) FILTER (WHERE wrote OR outside) AS what
  FROM acts
  GROUP BY recording, session_id, branch_pid, branch_start_ns
  HAVING bool_or(wrote OR outside)
),
described AS (
  SELECT g.*,
    branch_exec_event(g.recording, g.branch_pid, g.branch_start_ns) AS exec_ev,
    branch_first_command(g.recording, g.branch_pid, g.branch_start_ns) AS cmd,
    branch_command(g.recording, g.branch_pid, g.branch_start_ns) AS last_cmd
  FROM g
)
SELECT recording,
  last_finding_id(d.recording)
    + row_number() OVER (PARTITION BY recording
      ORDER BY start_ns, branch_pid, branch_start_ns, session_id),
  session_id, 'unexplained_activity', CASE WHEN network THEN 'medium' ELSE 'low' END,
  start_ns, end_ns,
  list_concat(CASE WHEN exec_ev IS NULL THEN [] ELSE [exec_ev] END, ev[1:20]),
  'Process ' || branch_pid || coalesce(' (' || left(regexp_replace(cmd, '\s+', ' ', 'g'), 120) ||
    CASE WHEN last_cmd IS DISTINCT FROM cmd AND last_cmd IS NOT NULL
      THEN '; then ran ' || left(regexp_replace(last_cmd, '\s+', ' ', 'g'), 120) ELSE '' END ||
    ')', '') ||
    ', which no tool call explains, ' ||
    array_to_string(list_transform(what[1:5], x -> left(x, 160)), '; ') ||
    CASE WHEN len(what) > 5 THEN ' and ' || (len(what) - 5) || ' more' ELSE '' END || '.',
  json_object('branch_pid', branch_pid, 'command', cmd, 'last_command', last_cmd, 'network', network, 'actions', what)
FROM described d
ORDER BY recording, start_ns;
