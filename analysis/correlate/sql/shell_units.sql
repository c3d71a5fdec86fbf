-- shell_units: the one definition of how the work of a shell the agent keeps and gives its
-- commands on its input is split among tool calls (GitHub Copilot CLI 1.0.12's
-- `bash --norc --noprofile`: one process that runs the commands of several calls, each written
-- to its input), read by `links` (link_rows.sql) and `tool_outcomes` (tool_outcomes.sql).
--
-- input_shells(): the agent's children (depth 1 in `lineage`, role `descendant`) that read
-- their commands from their input: run with options alone (an exec with no operand: no script
-- file, no `-c` command; POSIX sh reads its commands from its input then) and not given the
-- command of a call (no exec of theirs carries the command of a call whose window holds their
-- start, as `links` matches a command: its words in the argv, or the argv, of at least two
-- words, a stage of the command; `make` run as the command `make` is the command, not a shell).
--
-- shell_units(): every process below such a shell, each in the unit of the shell's child it
-- descends from (that child itself at the top), with the tool call the unit belongs to: the
-- call, of those with a command, whose window (`tool_windows`) holds the child's start (of
-- several, the latest), or none (NULL) for a child started outside every such window — the
-- shell ran it between calls, for none of them.
CREATE OR REPLACE MACRO input_shells() AS TABLE
WITH tops AS (
  SELECT recording, session_id, pid, start_ns, start_ns AS at_ns
  FROM lineage WHERE role = 'descendant' AND depth = 1
),
execs AS (
  SELECT e.recording, e.pid, e.proc_start_ns AS start_ns, e.argv
  FROM actions e
  WHERE e.role = 'descendant' AND e.event_table = 'process' AND e.op = 'exec'
    AND e.pid = e.branch_pid AND e.proc_start_ns = e.branch_start_ns AND len(e.argv) > 0
),
reading AS (
  SELECT recording, pid, start_ns
  FROM execs
  GROUP BY ALL
  HAVING bool_or(len(list_filter(argv[2:], x -> NOT starts_with(x, '-'))) = 0)
),
given AS (
  SELECT DISTINCT w.recording, w.pid, w.start_ns
  FROM in_tool_window('tops') w
  JOIN tool_terms k
    ON k.recording = w.recording AND k.tool_call_id = w.tool_call_id AND k.kind = 'command'
  JOIN execs e ON e.recording = w.recording AND e.pid = w.pid AND e.start_ns = w.start_ns
  WHERE contains(argv_text(e.argv), ' ' || k.term || ' ')
    OR (len(e.argv) >= 2 AND contains(' ' || k.term || ' ', argv_text(e.argv)))
)
SELECT t.recording, t.session_id, t.pid, t.start_ns
FROM tops t
SEMI JOIN reading r USING (recording, pid, start_ns)
ANTI JOIN given g USING (recording, pid, start_ns);

CREATE OR REPLACE MACRO shell_units() AS TABLE
WITH RECURSIVE shells AS (FROM input_shells()),
children AS (
  SELECT c.recording, s.session_id, s.pid AS shell_pid, s.start_ns AS shell_start_ns, c.pid,
    c.start_ns
  FROM shells s
  JOIN lineage c
    ON c.recording = s.recording AND c.ppid = s.pid AND c.parent_start_ns = s.start_ns
    AND c.role = 'descendant'
),
called AS (
  SELECT c.*, w.tool_call_id
  FROM children c
  LEFT JOIN (
    SELECT * FROM tool_windows
    WHERE (recording, tool_call_id) IN (
      SELECT (recording, tool_call_id) FROM tool_terms WHERE kind = 'command')
  ) w
    ON w.recording = c.recording AND w.session_id = c.session_id
    AND c.start_ns BETWEEN w.start_ns AND w.end_ns
  QUALIFY row_number() OVER (
    PARTITION BY c.recording, c.pid, c.start_ns ORDER BY w.start_ns DESC, w.tool_call_id DESC
  ) = 1
),
units(recording, pid, start_ns, unit_pid, unit_start_ns) AS (
  SELECT recording, pid, start_ns, pid, start_ns FROM children
  UNION ALL
  SELECT l.recording, l.pid, l.start_ns, u.unit_pid, u.unit_start_ns
  FROM units u
  JOIN lineage l
    ON l.recording = u.recording AND l.ppid = u.pid AND l.parent_start_ns = u.start_ns
    AND l.role = 'descendant' AND l.pid <> u.pid
)
SELECT u.recording, c.session_id, c.shell_pid, c.shell_start_ns, u.unit_pid, u.unit_start_ns,
  u.pid, u.start_ns, c.tool_call_id
FROM units u
JOIN called c ON c.recording = u.recording AND c.pid = u.unit_pid AND c.start_ns = u.unit_start_ns;
