-- tool_outcomes: how each tool call's command ended, by the kernel's evidence. The processes a
-- tool call started are the agent's children (depth 1 in `lineage`: the top of each process
-- branch) whose process events `links` attributes to it; each ended as `processes` says: an
-- exit status, a signal (with who sent it, when recorded), or not at all before the capture
-- ended. Of several, the one with the most confident link decides (the command's own process
-- over a helper matched only by time), then the worst end (a signal, a non-zero exit, still
-- running, a zero exit), then the first started. A tool call with no such process ran none
-- that was traced and linked: `no process`.
--
-- A top process that was not given the call's command is not the command: a long-lived shell
-- (GitHub Copilot CLI's `bash --norc --noprofile`) is given its commands on its input, runs
-- several calls' commands and ends when the agent ends it (SIGHUP), so its own end says
-- nothing of any command. Such a shell, and which call each of its children is, are as
-- shell_units.sql defines them (`input_shells()`, `shell_children()`: the definition `links`
-- splits such a shell's work by): run with options alone, not given a call's command; each
-- child the call `links` gave it, of those (with a command) whose window holds its start. A shell run with a script of the agent's (`bash /tmp/cmd.sh`) was given its command
-- in that file: its end is the command's, as before. What it forked for a call decides
-- instead. A call whose shell started no process
-- in its window (builtins only: `echo hello`) is `unknown`, not its shell's end: a call with a
-- command during which such a shell was alive. A shell's children tell the command's end
-- only when the command is one simple command (no `;`, `&`, `|`, newline, `$(`, backtick, nor
-- `if`/`while`/`until`/`for`/`case`) and the shell forked exactly one child for it: its end
-- is the command's. Otherwise the shell's own status (which it does not exit with) was made
-- of its children's by rules the kernel does not show (`which rg || echo none`: the child
-- failed, the command did not; `false | true`: the pipeline's status is its last stage's), so
-- the call is `unknown`, its processes counted and its evidence kept.
INSERT INTO tool_outcomes
WITH linked AS (
  -- every process of the branches attributed to a tool call, with its own events
  SELECT l.recording, l.tool_call_id, a.session_id, a.pid, a.proc_start_ns AS start_ns,
    a.pid = a.branch_pid AND a.proc_start_ns = a.branch_start_ns AS top,
    max(l.confidence) AS confidence,
    list(a.event_id ORDER BY a.event_id) FILTER (WHERE a.op = 'exec') AS execs,
    min(a.event_id) FILTER (WHERE a.op = 'fork') AS fork_event,
    max(a.event_id) FILTER (WHERE a.op = 'exit') AS exit_event
  FROM links l
  JOIN actions a USING (recording, event_table, event_id)
  WHERE l.event_table = 'process' AND a.event_table = 'process' AND l.attribution = 'tool'
    AND a.role = 'descendant'
  GROUP BY ALL
),
commands AS (SELECT DISTINCT recording, tool_call_id FROM tool_terms WHERE kind = 'command'),
-- the shells that read their commands from their input (shell_units.sql), whatever their
-- own events were linked to, with their own execs (the evidence of a call they may have run)
shells AS (
  SELECT i.recording, i.session_id, i.pid, i.start_ns,
    list(a.event_id ORDER BY a.event_id) FILTER (WHERE a.op = 'exec') AS execs,
    min(a.event_id) FILTER (WHERE a.op = 'fork') AS fork_event
  FROM input_shells() i
  JOIN actions a
    ON a.recording = i.recording AND a.event_table = 'process' AND a.pid = i.pid
    AND a.proc_start_ns = i.start_ns
  GROUP BY ALL
),
-- what a shell forked, each child the call `links` gave it (of those whose window holds its
-- start, shell_units.sql; a child of no call is none's)
forked AS (
  SELECT DISTINCT u.recording, u.pid, u.start_ns
  FROM shell_children() u
  WHERE u.tool_call_id IS NOT NULL
),
roots AS (
  SELECT recording, tool_call_id, pid, start_ns, confidence, execs, fork_event, exit_event,
    false AS via_shell
  FROM linked r
  WHERE top AND (recording, pid, start_ns) NOT IN (
    SELECT (recording, pid, start_ns) FROM shells)
  UNION ALL
  -- a child's events, as linked, with the call they were linked to
  SELECT p.recording, p.tool_call_id, p.pid, p.start_ns, p.confidence, p.execs, p.fork_event,
    p.exit_event, true
  FROM forked f
  JOIN linked p ON p.recording = f.recording AND p.pid = f.pid AND p.start_ns = f.start_ns
),
ended AS (
  SELECT r.*, p.end_ns, p.exit_code, p.exit_signal, p.killed_by_pid,
    CASE
      WHEN p.exit_signal IS NOT NULL THEN 0
      WHEN p.exit_code <> 0 THEN 1
      WHEN p.end_ns IS NULL THEN 2
      ELSE 3
    END AS severity
  FROM roots r
  JOIN processes p ON p.recording = r.recording AND p.pid = r.pid AND p.start_ns = r.start_ns
),
per_call AS (
  SELECT recording, tool_call_id, count(*) AS n, bool_or(via_shell) AS via_shell,
    arg_min({pid: pid, start_ns: start_ns, end_ns: end_ns, exit_code: exit_code,
      exit_signal: exit_signal, killed_by_pid: killed_by_pid, exit_event: exit_event},
      (-confidence, severity, start_ns, pid)) AS decider,
    flatten(list(coalesce(execs, [fork_event]) ORDER BY start_ns, pid)) AS started
  FROM ended
  GROUP BY ALL
),
-- calls whose command is one simple command (see above)
simple AS (
  SELECT recording, tool_call_id
  FROM (
    SELECT recording, tool_call_id,
      coalesce(input ->> '$.command', input ->> '$.cmd', input ->> '$.script',
        CASE WHEN json_type(input) = 'VARCHAR' THEN input ->> '$' END) AS command
    FROM tool_calls
  )
  WHERE command IS NOT NULL
    AND NOT regexp_matches(command, '[;&|\n`]|\$\(|(^|\s)(if|while|until|for|case)(\s|$)')
),
decided AS (
  SELECT p.recording, p.tool_call_id, p.n, p.started,
    p.via_shell AND (p.n <> 1 OR s.tool_call_id IS NULL) AS undecided, unnest(p.decider)
  FROM per_call p
  LEFT JOIN simple s ON s.recording = p.recording AND s.tool_call_id = p.tool_call_id
),
-- calls with a command that such a shell of their session outlived the start of, or was
-- alive during: it may have run them (their decider, if any, is what it forked); the shell's
-- exec is the evidence
unknown AS (
  SELECT w.recording, w.tool_call_id,
    flatten(list(coalesce(s.execs, [s.fork_event]) ORDER BY s.start_ns, s.pid)) AS started
  FROM shells s
  JOIN processes p ON p.recording = s.recording AND p.pid = s.pid AND p.start_ns = s.start_ns
  JOIN tool_windows w
    ON w.recording = s.recording AND w.session_id = s.session_id
    AND s.start_ns <= w.end_ns AND coalesce(p.end_ns, w.start_ns) >= w.start_ns
  WHERE (w.recording, w.tool_call_id) IN (SELECT (recording, tool_call_id) FROM commands)
  GROUP BY ALL
)
SELECT t.recording, t.tool_call_id, c.pid, t.name,
  CASE
    WHEN o.undecided THEN 'unknown'
    WHEN o.pid IS NULL AND u.tool_call_id IS NOT NULL THEN 'unknown'
    WHEN o.pid IS NULL THEN 'no process'
    WHEN o.exit_signal IS NOT NULL THEN 'killed ' || signal_name(o.exit_signal)
    WHEN o.end_ns IS NULL THEN 'still running at end'
    ELSE 'exited ' || coalesce(o.exit_code::VARCHAR, '?')
  END,
  CASE
    WHEN o.undecided THEN NULL
    WHEN o.exit_signal IS NOT NULL THEN true
    WHEN o.end_ns IS NOT NULL AND o.exit_code IS NOT NULL THEN o.exit_code <> 0
  END,
  coalesce(o.n, 0), o.pid, o.start_ns, o.end_ns, o.exit_code, o.exit_signal, o.killed_by_pid,
  list_transform(
    list_filter(list_concat(coalesce(o.started, u.started, []), [o.exit_event]),
      x -> x IS NOT NULL),
    x -> 'process:' || x)
FROM tool_calls t
JOIN llm_calls c ON c.recording = t.recording AND c.llm_call_id = t.llm_call_id
LEFT JOIN (
  -- an undecided call names no decider; its processes are counted, its evidence kept
  SELECT * REPLACE (
    CASE WHEN undecided THEN NULL ELSE pid END AS pid,
    CASE WHEN undecided THEN NULL ELSE start_ns END AS start_ns,
    CASE WHEN undecided THEN NULL ELSE end_ns END AS end_ns,
    CASE WHEN undecided THEN NULL ELSE exit_code END AS exit_code,
    CASE WHEN undecided THEN NULL ELSE exit_signal END AS exit_signal,
    CASE WHEN undecided THEN NULL ELSE killed_by_pid END AS killed_by_pid,
    CASE WHEN undecided THEN NULL ELSE exit_event END AS exit_event)
  FROM decided
) o ON o.recording = t.recording AND o.tool_call_id = t.tool_call_id
LEFT JOIN unknown u ON u.recording = t.recording AND u.tool_call_id = t.tool_call_id
ORDER BY t.recording, t.tool_call_id;
