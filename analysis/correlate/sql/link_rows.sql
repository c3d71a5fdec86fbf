-- link_rows: the stored rows of the `links` view (links.sql): one row per action that has a
-- tool call, or that is not the agent's own (a descendant's, one outside every session: every
-- role but `agent` and `launcher`). An action of role `agent` or `launcher` is stored only when
-- a tool call explains it (here, or later an MCP call: mcp_links.sql); else `links` gives it
-- from `actions`: 'agent', no signal, confidence 0. Writing every action's link was most of
-- this step, about 6 s of CPU at 10M events for 8.37M rows, of which 8.02M were the agent's own
-- file events (reports/bench/analysis.md, sessions 31 and 32).
--
-- Each row: the action, with the tool call that caused it, the signals that say so and a
-- confidence, or why no tool call explains it.
--
-- A tool call's window (`tool_windows`) bounds what it can have caused (temporal proximity).
-- Processes the agent forks are attributed as whole branches (process lineage): each child of
-- the agent process, with everything it starts through shells and interpreters, goes to the
-- tool call whose window holds the child's start and whose input best matches what the branch
-- did (argument matching: the command in an argv, an argv that is a stage of the command, a
-- path, URL or host of the input among the arguments, the files, DNS names and ports the
-- branch touched). With no match, a branch gets $conf_exclusive when it is the only candidate
-- of a command that no branch matched, else $conf_temporal. The agent process's own file and
-- net events are linked only by argument match within a window: everything else it does is
-- its own activity. Equal best candidates are broken by the latest window and cost
-- $tie_factor. Links at or above $min_confidence are attributions.
--
-- A shell the agent keeps and gives its commands on its input (shell_units.sql, the one
-- definition `tool_outcomes` reads too) runs the commands of several calls: it is not one
-- branch. Each child it forks is a branch of its own (its unit: it and all below it), whose
-- candidates are the calls shell_units.sql gives it (every call with a command whose window
-- holds its start: several for calls of one answer, told apart by the child's own argv, equal
-- ones costing $tie_factor); one started outside every such window has none, so its actions
-- are `unexplained`, not the first call's. The shell's own events stay a branch of their own,
-- judged among the calls whose window holds its start. A part of a shell's work (a child, or
-- the shell) with no argument evidence for any of its candidates borrows, for a call, the
-- best evidence of the parts whose own best call is that call alone: a builtin loop's
-- `wc -l "$f"` is the call's as its `ls` is, while a child that matched a call keeps its own.
INSERT INTO correlate.link_rows
WITH
children AS MATERIALIZED (FROM shell_children()),
-- every action with its branch: under a shell of shell_units.sql, its unit
acts_u AS NOT MATERIALIZED (
  SELECT a.* REPLACE (
    coalesce(u.unit_pid, a.branch_pid) AS branch_pid,
    coalesce(u.unit_start_ns, a.branch_start_ns) AS branch_start_ns)
  FROM actions a
  LEFT JOIN shell_unit_rows u ON u.recording = a.recording AND u.pid = a.pid AND u.start_ns = a.proc_start_ns
),
-- the parts of a shell's work for one call: its children of that call and the shell itself
members AS (
  SELECT recording, shell_pid, shell_start_ns, tool_call_id, pid AS member_pid,
    start_ns AS member_start_ns
  FROM children WHERE tool_call_id IS NOT NULL
  UNION
  SELECT DISTINCT recording, shell_pid, shell_start_ns, tool_call_id, shell_pid, shell_start_ns
  FROM children WHERE tool_call_id IS NOT NULL
),
cmd AS (
  SELECT recording, tool_call_id, term, ' ' || term || ' ' AS padded
  FROM tool_terms WHERE kind = 'command'
),
branches AS (
  SELECT recording, session_id, pid AS branch_pid, start_ns AS branch_start_ns,
    start_ns AS at_ns
  FROM lineage WHERE role = 'descendant' AND depth = 1
),
-- the tool calls whose window holds a branch's start (in_tool_window in macros.sql); a
-- shell's child: its call alone (shell_units.sql)
cand AS (
  SELECT recording, session_id, branch_pid, branch_start_ns, tool_call_id, win_start
  FROM in_tool_window('branches')
  UNION ALL
  SELECT u.recording, u.session_id, u.pid, u.start_ns, u.tool_call_id, w.start_ns
  FROM children u
  JOIN tool_windows w ON w.recording = u.recording AND w.tool_call_id = u.tool_call_id
),
procs AS (
  -- every exec of the branch's processes (a process may exec several times: wrappers, shims)
  SELECT e.recording, e.branch_pid, e.branch_start_ns, e.argv,
    argv_text(e.argv) AS nargv
  FROM acts_u e
  WHERE e.role = 'descendant' AND e.op = 'exec' AND len(e.argv) > 0
),
args AS (
  SELECT recording, branch_pid, branch_start_ns, unnest(argv[2:]) AS arg FROM procs
),
-- the file and net actions of a session's agent and descendants, each with every tool call
-- whose window holds it. Their paths are not carried through the windows' join from every
-- action: they are fetched by rowid for the actions in a window only (a file event's: a net
-- event has none, action_rows.sql). At 10M events the two scans of `file` with its three path
-- columns were about 2.7 s of this step's operator time, for 0.1M actions in a window
-- (reports/bench/analysis.md, session 36). The fetch's one side is the keys alone: with every
-- column of the windowed actions on it, DuckDB built its hash table on the 8M file rows
-- instead (7 s), and an inner join there made it build the last joins on the 8M actions.
acts AS NOT MATERIALIZED (
  SELECT * EXCLUDE (path, path2, raw_path), ts_ns AS at_ns FROM acts_u
  WHERE role IN ('agent', 'helper', 'descendant') AND event_table IN ('file', 'net')
),
win AS MATERIALIZED (FROM in_tool_window('acts')),
-- the paths of the file actions in a window, by rowid (first_rows.sql: an event's id is its
-- rowid less its recording's first)
win_paths AS (
  SELECT k.recording, k.event_table, k.event_id, f.path, f.path2, f.raw_path
  FROM (SELECT DISTINCT recording, event_table, event_id FROM win) k
  JOIN first_rows() r ON r.event_table = k.event_table AND r.recording = k.recording
  LEFT JOIN file f
    ON f.recording = k.recording
    AND f.rowid = CASE WHEN k.event_table = 'file' THEN k.event_id + r.first_rowid END
),
in_window AS (
  SELECT w.*, p.path, p.path2, p.raw_path
  FROM win w JOIN win_paths p USING (recording, event_table, event_id)
),
-- event-level argument matches: an action within a tool call's window touching what it names
evm AS (
  SELECT a.recording, a.event_table, a.event_id, a.role, a.branch_pid, a.branch_start_ns,
    a.tool_call_id, a.win_start, t.term AS matched,
    CASE
      WHEN t.kind = 'path' AND (a.path = t.term OR a.raw_path = t.term OR a.path2 = t.term
        OR (t.suffix IS NOT NULL AND (ends_with(a.path, t.suffix) OR ends_with(a.path2, t.suffix))))
        THEN 'argument:path'
      WHEN t.kind = 'path' AND length(t.basename) >= 3 AND (
        (a.path LIKE '/proc/%' AND (regexp_extract(a.path, '[^/]+$') = t.basename
          OR starts_with(regexp_extract(a.path, '[^/]+$'), t.basename || '.')))
        OR (a.path2 LIKE '/proc/%' AND regexp_extract(a.path2, '[^/]+$') = t.basename)
        OR (starts_with(regexp_extract(a.path, '[^/]+$'), t.basename || '.') AND CASE
          WHEN t.suffix IS NULL
            THEN regexp_replace(a.path, '/[^/]*$', '') = regexp_replace(t.term, '/[^/]*$', '')
          ELSE ends_with(regexp_replace(a.path, '/[^/]*$', ''), regexp_replace(t.suffix, '/[^/]*$', ''))
        END))
        THEN 'argument:basename'
      WHEN t.kind IN ('url', 'host') AND a.op = 'dns' AND dns_name(a.qname) = t.host
        THEN 'argument:host'
      WHEN t.kind = 'url' AND a.op = 'connect' AND a.family IN ('inet', 'inet6')
        AND a.addr = t.host THEN 'argument:url'
      WHEN t.kind = 'url' AND a.op = 'connect' AND a.family IN ('inet', 'inet6')
        AND a.port = t.port THEN 'argument:port'
    END AS signal
  FROM in_window a
  JOIN tool_terms t
    ON t.recording = a.recording AND t.tool_call_id = a.tool_call_id
    AND t.kind IN ('path', 'url', 'host')
    -- the agent process acts itself only on what a tool names as an argument of its own
    AND (a.role = 'descendant' OR NOT t.in_command)
),
evs AS (
  SELECT *,
    CASE signal
      WHEN 'argument:path' THEN $conf_path
      WHEN 'argument:basename' THEN $conf_basename
      WHEN 'argument:host' THEN $conf_host
      WHEN 'argument:url' THEN $conf_host
      ELSE $conf_port
    END AS strength
  FROM evm WHERE signal IS NOT NULL
),
-- per event and tool call: the best match (the strongest; of equally strong ones, the first by
-- signal and then term, so that signal and term come from one match whatever the scan order)
evt AS (
  SELECT recording, event_table, event_id, role, branch_pid, branch_start_ns, tool_call_id,
    any_value(win_start) AS win_start, max(strength) AS strength,
    arg_min(signal, (-strength, signal, matched)) AS signal,
    arg_min(matched, (-strength, signal, matched)) AS matched,
    list(DISTINCT signal ORDER BY signal) AS signals
  FROM evs
  GROUP BY ALL
),
-- branch-level argument evidence for each candidate tool call
bmatch AS (
  SELECT c.recording, c.branch_pid, c.branch_start_ns, c.tool_call_id,
    CASE WHEN contains(p.nargv, k.padded) THEN 'argument:command' ELSE 'argument:argv' END
      AS signal,
    CASE WHEN contains(p.nargv, k.padded) THEN $conf_command ELSE $conf_argv END AS strength,
    k.term AS matched
  FROM cand c
  JOIN procs p
    ON p.recording = c.recording AND p.branch_pid = c.branch_pid
    AND p.branch_start_ns = c.branch_start_ns
  JOIN cmd k ON k.recording = c.recording AND k.tool_call_id = c.tool_call_id
  WHERE contains(p.nargv, k.padded) OR (len(p.argv) >= 2 AND contains(k.padded, p.nargv))
  UNION ALL
  SELECT c.recording, c.branch_pid, c.branch_start_ns, c.tool_call_id,
    CASE t.kind WHEN 'path' THEN 'argument:path' WHEN 'url' THEN 'argument:url'
      ELSE 'argument:host' END,
    CASE t.kind WHEN 'path' THEN $conf_path ELSE $conf_host END,
    t.term
  FROM cand c
  JOIN args a
    ON a.recording = c.recording AND a.branch_pid = c.branch_pid
    AND a.branch_start_ns = c.branch_start_ns
  JOIN tool_terms t
    ON t.recording = c.recording AND t.tool_call_id = c.tool_call_id
    AND t.kind IN ('path', 'url', 'host')
  WHERE (t.kind = 'path' AND (a.arg = t.term OR (t.suffix IS NOT NULL
      AND ends_with('/' || regexp_replace(a.arg, '^(\./)+', ''), t.suffix))))
    OR (t.kind IN ('url', 'host') AND length(t.term) >= 4 AND contains(a.arg, t.term))
  UNION ALL
  SELECT c.recording, c.branch_pid, c.branch_start_ns, c.tool_call_id, e.signal, e.strength,
    e.matched
  FROM cand c
  JOIN evt e
    ON e.recording = c.recording AND e.role = 'descendant' AND e.branch_pid = c.branch_pid
    AND e.branch_start_ns = c.branch_start_ns AND e.tool_call_id = c.tool_call_id
),
-- the best, chosen as for evt
bm AS (
  SELECT recording, branch_pid, branch_start_ns, tool_call_id, max(strength) AS strength,
    arg_min(signal, (-strength, signal, matched)) AS signal,
    arg_min(matched, (-strength, signal, matched)) AS matched
  FROM bmatch
  GROUP BY ALL
),
-- the branches with argument evidence of their own for some candidate
evidenced AS (SELECT DISTINCT recording, branch_pid, branch_start_ns FROM bm),
-- a branch's own best call, when one call alone is its strongest
own_best AS (
  SELECT recording, branch_pid, branch_start_ns, any_value(tool_call_id) AS tool_call_id,
    any_value(strength) AS strength, any_value(signal) AS signal, any_value(matched) AS matched
  FROM (
    FROM bm
    QUALIFY rank() OVER (
      PARTITION BY recording, branch_pid, branch_start_ns ORDER BY strength DESC) = 1
  )
  GROUP BY recording, branch_pid, branch_start_ns
  HAVING count(*) = 1
),
-- the best evidence of a shell's work for one call, pooled over its parts whose own best call
-- is that call (a part with no evidence of its own takes it: `scored`)
pooled AS (
  SELECT p.recording, p.shell_pid, p.shell_start_ns, p.tool_call_id, max(m.strength) AS strength,
    arg_min(m.signal, (-m.strength, m.signal, m.matched)) AS signal,
    arg_min(m.matched, (-m.strength, m.signal, m.matched)) AS matched
  FROM members p
  JOIN own_best m
    ON m.recording = p.recording AND m.branch_pid = p.member_pid
    AND m.branch_start_ns = p.member_start_ns AND m.tool_call_id = p.tool_call_id
  GROUP BY ALL
),
matched_calls AS (SELECT DISTINCT recording, tool_call_id FROM bm),
ncand AS (
  SELECT recording, branch_pid, branch_start_ns, count(*) AS n FROM cand GROUP BY ALL
),
scored AS (
  SELECT c.recording, c.branch_pid, c.branch_start_ns, c.tool_call_id, c.win_start,
    CASE WHEN ev.branch_pid IS NULL THEN pl.strength ELSE bm.strength END AS strength,
    CASE WHEN ev.branch_pid IS NULL THEN pl.signal ELSE bm.signal END AS signal,
    CASE WHEN ev.branch_pid IS NULL THEN pl.matched ELSE bm.matched END AS matched,
    bm.strength IS NULL AND pl.strength IS NULL AND n.n = 1
      AND c.tool_call_id IN (SELECT tool_call_id FROM cmd k WHERE k.recording = c.recording)
      AND c.tool_call_id NOT IN (
        SELECT tool_call_id FROM matched_calls m WHERE m.recording = c.recording
      ) AS exclusive
  FROM cand c
  LEFT JOIN bm USING (recording, branch_pid, branch_start_ns, tool_call_id)
  LEFT JOIN evidenced ev USING (recording, branch_pid, branch_start_ns)
  LEFT JOIN members mb
    ON mb.recording = c.recording AND mb.member_pid = c.branch_pid
    AND mb.member_start_ns = c.branch_start_ns AND mb.tool_call_id = c.tool_call_id
  LEFT JOIN pooled pl
    ON pl.recording = mb.recording AND pl.shell_pid = mb.shell_pid
    AND pl.shell_start_ns = mb.shell_start_ns AND pl.tool_call_id = mb.tool_call_id
  JOIN ncand n USING (recording, branch_pid, branch_start_ns)
),
ranked AS (
  SELECT *,
    CASE
      WHEN strength IS NOT NULL THEN strength
      WHEN exclusive THEN $conf_exclusive
      ELSE $conf_temporal
    END AS score
  FROM scored
),
best_branch AS (
  SELECT *, count(*) OVER (PARTITION BY recording, branch_pid, branch_start_ns, score) AS ties
  FROM ranked
  QUALIFY row_number() OVER (
    PARTITION BY recording, branch_pid, branch_start_ns
    ORDER BY score DESC, win_start DESC, tool_call_id DESC
  ) = 1
),
best_agent AS (
  SELECT *, count(*) OVER (PARTITION BY recording, event_table, event_id, strength) AS ties
  FROM evt
  WHERE role IN ('agent', 'helper')
  QUALIFY row_number() OVER (
    PARTITION BY recording, event_table, event_id
    ORDER BY strength DESC, win_start DESC, tool_call_id DESC
  ) = 1
),
joined AS (
  SELECT a.recording, a.event_table, a.event_id, a.session_id, a.role,
    coalesce(b.tool_call_id, g.tool_call_id) AS tool_call_id,
    CASE
      WHEN b.tool_call_id IS NOT NULL THEN
        b.score * CASE WHEN b.ties > 1 THEN $tie_factor ELSE 1 END
      WHEN g.tool_call_id IS NOT NULL THEN
        g.strength * CASE WHEN g.ties > 1 THEN $tie_factor ELSE 1 END
      ELSE 0
    END AS confidence,
    CASE
      WHEN b.tool_call_id IS NOT NULL THEN list_distinct(list_concat(
        ['temporal', 'lineage'],
        CASE WHEN b.signal IS NOT NULL THEN [b.signal] ELSE [] END,
        CASE WHEN b.exclusive THEN ['exclusive'] ELSE [] END,
        coalesce(e.signals, [])))
      WHEN g.tool_call_id IS NOT NULL THEN list_distinct(list_concat(['temporal'], g.signals))
      ELSE []
    END AS signals,
    coalesce(b.matched, g.matched) AS matched
  -- equalities only (a condition on `a` alone would turn these into nested loops): evt and
  -- best_agent rows carry the role of the very action they join
  FROM acts_u a
  LEFT JOIN best_branch b
    ON b.recording = a.recording
    AND b.branch_pid = CASE WHEN a.role = 'descendant' THEN a.branch_pid END
    AND b.branch_start_ns = a.branch_start_ns
  LEFT JOIN evt e
    ON e.recording = a.recording AND e.event_table = a.event_table
    AND e.event_id = a.event_id AND e.tool_call_id = b.tool_call_id AND e.role = 'descendant'
  LEFT JOIN best_agent g
    ON g.recording = a.recording AND g.event_table = a.event_table AND g.event_id = a.event_id
)
SELECT recording, event_table, event_id, session_id, tool_call_id,
  CASE
    WHEN tool_call_id IS NOT NULL AND confidence >= $min_confidence THEN 'tool'
    WHEN role IN ('agent', 'helper', 'launcher') THEN 'agent'
    WHEN role = 'descendant' THEN 'unexplained'
    ELSE 'outside'
  END AS attribution,
  CAST(list_sort(signals) AS VARCHAR[]),
  round(confidence, 4),
  matched
-- not sorted (a sort of every action's link took about a third of this step): read with ORDER BY
FROM joined
-- the agent's own actions without a tool call are the view's (links.sql)
WHERE tool_call_id IS NOT NULL OR role NOT IN ('agent', 'helper', 'launcher');
