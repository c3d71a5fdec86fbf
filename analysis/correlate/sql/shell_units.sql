-- shell_units: the one definition of how the work of a shell the agent keeps and gives its
-- commands on its input is split among tool calls (GitHub Copilot CLI 1.0.12's
-- `bash --norc --noprofile`: one process that runs the commands of several calls, each written
-- to its input), read by `links` (link_rows.sql) and `tool_outcomes` (tool_outcomes.sql).
--
-- input_shells(): the agent's children (depth 1 in `lineage`, role `descendant`) that read
-- their commands from their input: running a shell (the program's name: sh, ash, bash, zsh,
-- dash, ksh, mksh, yash, fish, pwsh, a login shell's `-bash`, `busybox sh`; not any program
-- run with options alone: a language server, `gopls` or `typescript-language-server --stdio`,
-- an MCP server) with options alone (their last exec has no operand: no script file, no `-c`
-- command; POSIX sh reads its commands from its input then), started while a call with a
-- command was under way (its window holds their start), and not given the command of such a
-- call (their argv does not carry it, as `links` matches a command: its words in the argv, or
-- the argv, of at least two words, a stage of the command).
--
-- shell_children(): each child of such a shell with each tool call it may have been forked
-- for: every call, of those with a command, whose window (`tool_windows`) holds its start (one
-- row each; calls of one answer run in parallel share their windows' start, and which of them
-- the child was for its own argv decides: `links`), or one row with none (NULL) for a child
-- started outside every such window — the shell ran it between calls, for none of them.
-- shell_units(): every process below such a shell, each in the unit of the child it descends
-- from (that child itself at the top).
-- (Two macros: a join with the recursive one's estimate made DuckDB build a hash table on
-- every action; reports/bench/analysis.md, session 35.)
CREATE OR REPLACE MACRO input_shells() AS TABLE
WITH progs AS (
  -- (the program each runs: its last exec's, as `lineage` keeps it; not every event of
  -- `actions` scanned again for its execs); busybox runs the applet its first operand names
  SELECT recording, session_id, pid, start_ns, argv,
    ltrim(regexp_extract(argv[1], '[^/]+$'), '-') AS base
  FROM lineage
  WHERE role = 'descendant' AND depth = 1 AND len(argv) > 0
),
tops AS (
  SELECT recording, session_id, pid, start_ns, start_ns AS at_ns, argv
  FROM progs
  WHERE CASE
      WHEN base = 'busybox' THEN argv[2] IN ('sh', 'ash', 'hush')
        AND len(list_filter(argv[3:], x -> NOT starts_with(x, '-'))) = 0
      ELSE base IN ('sh', 'ash', 'bash', 'zsh', 'dash', 'ksh', 'mksh', 'yash', 'fish', 'pwsh')
        AND len(list_filter(argv[2:], x -> NOT starts_with(x, '-'))) = 0
    END
),
-- started while a call with a command was under way
windowed AS (
  SELECT w.recording, w.pid, w.start_ns, w.tool_call_id, w.argv
  FROM in_tool_window('tops') w
  SEMI JOIN tool_terms k
    ON k.recording = w.recording AND k.tool_call_id = w.tool_call_id AND k.kind = 'command'
),
given AS (
  SELECT DISTINCT w.recording, w.pid, w.start_ns
  FROM windowed w
  JOIN tool_terms k
    ON k.recording = w.recording AND k.tool_call_id = w.tool_call_id AND k.kind = 'command'
  WHERE contains(argv_text(w.argv), ' ' || k.term || ' ')
    OR (len(w.argv) >= 2 AND contains(' ' || k.term || ' ', argv_text(w.argv)))
)
SELECT t.recording, t.session_id, t.pid, t.start_ns
FROM tops t
SEMI JOIN windowed w USING (recording, pid, start_ns)
ANTI JOIN given g USING (recording, pid, start_ns);

CREATE OR REPLACE MACRO shell_children() AS TABLE
WITH shells AS (FROM input_shells()),
children AS (
  SELECT c.recording, s.session_id, s.pid AS shell_pid, s.start_ns AS shell_start_ns, c.pid,
    c.start_ns
  FROM shells s
  JOIN lineage c
    ON c.recording = s.recording AND c.ppid = s.pid AND c.parent_start_ns = s.start_ns
    AND c.role = 'descendant'
)
-- every call with a command whose window holds the child's start (calls of one answer share
-- their windows' start: which of them a child was for, its own argv decides in `links`)
SELECT c.*, w.tool_call_id
FROM children c
LEFT JOIN (
  SELECT * FROM tool_windows
  WHERE (recording, tool_call_id) IN (
    SELECT (recording, tool_call_id) FROM tool_terms WHERE kind = 'command')
) w
  ON w.recording = c.recording AND w.session_id = c.session_id
  AND c.start_ns BETWEEN w.start_ns AND w.end_ns;

CREATE OR REPLACE MACRO shell_units() AS TABLE
WITH RECURSIVE units(recording, pid, start_ns, unit_pid, unit_start_ns) AS (
  SELECT DISTINCT recording, pid, start_ns, pid, start_ns FROM shell_children()
  UNION ALL
  SELECT l.recording, l.pid, l.start_ns, u.unit_pid, u.unit_start_ns
  FROM units u
  JOIN lineage l
    ON l.recording = u.recording AND l.ppid = u.pid AND l.parent_start_ns = u.start_ns
    AND l.role = 'descendant' AND l.pid <> u.pid
)
SELECT recording, pid, start_ns, unit_pid, unit_start_ns FROM units;

-- shell_units() as a table of this connection for link_rows.sql to join every action with: a
-- table's row count is exact, where the recursive macro's estimate (50M rows for none, at 10M
-- events) made DuckDB build its hash tables on the 8M actions, three times over, and read the
-- actions view's incarnation join unfiltered (link_rows 6 s -> 45 s of CPU; reports/bench/
-- analysis.md, session 35)
CREATE OR REPLACE TEMP TABLE shell_unit_rows AS FROM shell_units();
