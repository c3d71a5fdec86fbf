-- trace_actions: the actions of one session ($recording, $session) worth showing an observer,
-- grouped by tool call (null: no tool call explains them, weak candidates included) and by
-- what happened: execs, connects and DNS questions, writes, and successful reads outside the
-- system's own files (/usr, /lib, /etc: libc reads /etc/passwd for every user-name lookup) and
-- shell start-up files — plus every sensitive read counted by the detectors and every
-- destination outside the allowlist (a connect through an HTTP proxy: named by the hosts asked
-- of it, outside when any of them is). Identical lines are counted once with the first event's
-- id.
WITH acts AS (
  SELECT CASE WHEN l.attribution = 'tool' THEN l.tool_call_id END AS tool_call_id,
    l.attribution, a.event_table, a.event_id, a.ts_ns, a.op,
    left(regexp_replace(a.summary, '\s+', ' ', 'g'), 240) AS summary, a.written, a.path, a.ok,
    a.family,
    r.event_id IS NOT NULL AS sensitive, coalesce(d.outside, false) AS outside,
    d.names AS dest_name
  FROM links l
  JOIN actions a USING (recording, event_table, event_id)
  LEFT JOIN sensitive_reads r
    ON a.event_table = 'file' AND r.recording = a.recording AND r.event_id = a.event_id
    AND r.counted
  -- each net event once: a connect through a proxy has a destination per host asked of it,
  -- named together (in the order first asked) and outside when any is
  LEFT JOIN (
    SELECT event_id, bool_or(outside) AS outside, string_agg(name, ', ' ORDER BY ts_ns, name) AS names
    FROM (
      SELECT event_id, name, min(ts_ns) AS ts_ns, bool_or(NOT allowed) AS outside
      FROM net_destinations WHERE recording = $recording
      GROUP BY event_id, name
    )
    GROUP BY event_id
  ) d ON a.event_table = 'net' AND d.event_id = a.event_id
  WHERE l.recording = $recording AND l.session_id = $session
    AND l.attribution IN ('tool', 'unexplained')
),
shown AS (
  SELECT * FROM acts
  WHERE sensitive OR outside
    OR op = 'exec'
    OR (event_table = 'net' AND family <> 'unix')
    OR (event_table = 'file' AND written)
    OR (event_table = 'file' AND op = 'open' AND ok AND NOT regexp_matches(path,
      '^(/lib|/lib64|/usr|/etc|/proc|/sys|/dev|/run)(/|$)|/locale/|/\.pyenv/|/site-packages/|/node_modules/|/\.(bashrc|bash_profile|bash_login|profile|inputrc)$'))
),
grouped AS (
  SELECT tool_call_id, attribution,
    arg_min(event_table || ':' || event_id, (ts_ns, event_table, event_id)) AS first_id,
    min(ts_ns) AS ts_ns, summary,
    -- the destination's name of the first event that has one
    arg_min(dest_name, (ts_ns, event_table, event_id)) AS dest_name,
    count(*) AS times, bool_or(sensitive) AS sensitive, bool_or(outside) AS outside
  FROM shown
  GROUP BY tool_call_id, attribution, summary
)
SELECT tool_call_id, attribution, first_id, ts_ns,
  summary || CASE WHEN dest_name IS NOT NULL AND NOT contains(summary, dest_name)
    THEN ' (' || dest_name || ')' ELSE '' END AS summary,
  times, sensitive, outside
FROM grouped
ORDER BY tool_call_id NULLS LAST, ts_ns, attribution, summary;
