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
-- nothing of any command. Such a process is one whose own execs carry no command of a call
-- that has one (carrying is as `links` matches a command: the command's words in its argv,
-- or its argv, of at least two words, a stage of the command) and that was run with options
-- alone (no operand: no script file, no `-c` command), which makes a shell read its commands
-- from its input. A shell run with a script of the agent's (`bash /tmp/cmd.sh`) was given
-- its command in that file: its end is the command's, as before. What it forked for a call
-- decides instead: its children, each the call's whose window (`tool_windows`, of calls with
-- a command) holds its start, the latest such window. A call whose shell started no process
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
    -- (only a top process's are read: `given` below)
    list({t: argv_text(a.argv), n: len(a.argv)})
      FILTER (WHERE a.op = 'exec' AND a.pid = a.branch_pid
        AND a.proc_start_ns = a.branch_start_ns) AS argvs,
    -- run with options alone, no operand (no script, no -c command): a shell so run reads
    -- its commands from its input (POSIX sh)
    coalesce(bool_or(len(list_filter(a.argv[2:], x -> NOT starts_with(x, '-'))) = 0)
      FILTER (WHERE a.op = 'exec'), false) AS reads_input,
    min(a.event_id) FILTER (WHERE a.op = 'fork') AS fork_event,
    max(a.event_id) FILTER (WHERE a.op = 'exit') AS exit_event
  FROM links l
  JOIN actions a USING (recording, event_table, event_id)
  WHERE l.event_table = 'process' AND a.event_table = 'process' AND l.attribution = 'tool'
    AND a.role = 'descendant'
  GROUP BY ALL
),
commands AS (
  SELECT recording, tool_call_id, ' ' || term || ' ' AS padded
  FROM tool_terms WHERE kind = 'command'
),
given AS (
  SELECT DISTINCT r.recording, r.tool_call_id, r.pid, r.start_ns
  FROM (SELECT *, unnest(argvs) AS x FROM linked WHERE top) r
  JOIN commands k USING (recording, tool_call_id)
  WHERE contains(r.x.t, k.padded) OR (r.x.n >= 2 AND contains(k.padded, r.x.t))
),
-- top processes not given their call's command (a call without a command gives none) that
-- read commands from their input
shells AS (
  SELECT r.* FROM linked r
  WHERE r.top AND r.reads_input
    AND (r.recording, r.tool_call_id) IN (SELECT (recording, tool_call_id) FROM commands)
    AND (r.recording, r.tool_call_id, r.pid, r.start_ns) NOT IN (
      SELECT (recording, tool_call_id, pid, start_ns) FROM given)
),
-- what a shell forked, each child the call's whose window holds its start
forked AS (
  SELECT c.recording, w.tool_call_id, c.pid, c.start_ns, s.confidence
  FROM shells s
  JOIN lineage c
    ON c.recording = s.recording AND c.ppid = s.pid AND c.parent_start_ns = s.start_ns
    AND c.role = 'descendant'
  JOIN tool_windows w
    ON w.recording = c.recording AND w.session_id = s.session_id
    AND c.start_ns BETWEEN w.start_ns AND w.end_ns
  WHERE (w.recording, w.tool_call_id) IN (SELECT (recording, tool_call_id) FROM commands)
  QUALIFY row_number() OVER (
    PARTITION BY c.recording, c.pid, c.start_ns ORDER BY w.start_ns DESC, w.tool_call_id DESC
  ) = 1
),
roots AS (
  SELECT recording, tool_call_id, pid, start_ns, confidence, execs, fork_event, exit_event,
    false AS via_shell
  FROM linked r
  WHERE top AND (recording, tool_call_id, pid, start_ns) NOT IN (
    SELECT (recording, tool_call_id, pid, start_ns) FROM shells)
  UNION ALL
  -- a child's events, as linked (to whichever call its shell's branch went)
  SELECT f.recording, f.tool_call_id, f.pid, f.start_ns, f.confidence,
    arg_max(p.execs, p.confidence), arg_max(p.fork_event, p.confidence),
    arg_max(p.exit_event, p.confidence), true
  FROM forked f
  JOIN linked p ON p.recording = f.recording AND p.pid = f.pid AND p.start_ns = f.start_ns
  GROUP BY ALL
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
