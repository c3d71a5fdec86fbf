-- process_programs: the program each process incarnation of `processes` ran, over time: one row
-- from each exec on (the file it executed: `filename`, as `processes.exe` names it; a joined
-- process's program from the join on), and one from each fork on, until its first exec: the
-- program it is a copy of, its parent's at the fork (`forked`). A parent that had not exec'd by
-- then either is a copy of its own parent's, found up the forks; the program is null when the
-- walk reaches a process whose fork or first program was not recorded (started before the
-- capture). The row of an event's time is the last one from before it (ASOF: file_events,
-- net_events); ties go to the exec (a process whose first event is its exec starts then), and
-- of two execs at one time (not seen in practice), to the first by name.
-- Built once, into the declared table (its readers, the event views, read it on every query).
-- The walk up the forks goes 64 generations at most; one that would go further is `cut`: its
-- program is unknown (null), said as a problems row (process_programs_cut.sql reads the walk,
-- kept for this connection as the temporary table process_program_walks). So is one that meets
-- an incarnation already on it (a loop of parents) before a program: `loop` names the loop.
CREATE OR REPLACE TEMP TABLE process_program_walks AS
WITH RECURSIVE
runs AS (
  SELECT recording, pid, ts_ns AS from_ns, filename AS exe
  FROM process WHERE kind IN ('exec', 'joined')
),
-- each incarnation with its parent's (the incarnation of its ppid that had started by its
-- start), whether its fork was recorded, and when it first ran a program of its own
incs AS (
  SELECT c.recording, c.pid, c.start_ns, c.ppid, p.start_ns AS parent_start_ns,
    EXISTS (SELECT 1 FROM process f WHERE f.recording = c.recording AND f.pid = c.pid
      AND f.kind = 'fork' AND f.ts_ns = c.start_ns) AS forked,
    (SELECT min(r.from_ns) FROM runs r WHERE r.recording = c.recording AND r.pid = c.pid
      AND r.from_ns >= c.start_ns) AS first_run_ns
  FROM processes c
  ASOF LEFT JOIN processes p
    ON p.recording = c.recording AND p.pid = c.ppid AND c.start_ns >= p.start_ns
),
-- from each forked incarnation up through ancestors that had run no program of their own by
-- the fork below them (at_ns); one generation past the limit (64) is walked only to know that
-- the walk was cut there. `path`: the incarnations walked (macros.sql walk_path); a walk whose
-- next one (cur) is already on it is a loop of parents (a damaged recording): it stops there
-- (`cycle`), not walked round to the limit
up(recording, pid, start_ns, cur_pid, cur_start_ns, at_ns, depth, path, cycle) AS (
  SELECT recording, pid, start_ns, ppid, parent_start_ns, start_ns, 0,
    walk_path(NULL, pid, start_ns, ppid, parent_start_ns),
    on_path(NULL, pid, start_ns, ppid, parent_start_ns)
  FROM incs WHERE forked AND parent_start_ns IS NOT NULL
  UNION ALL
  SELECT u.recording, u.pid, u.start_ns, i.ppid, i.parent_start_ns, i.start_ns, u.depth + 1,
    walk_path(u.path, i.pid, i.start_ns, i.ppid, i.parent_start_ns),
    on_path(u.path, i.pid, i.start_ns, i.ppid, i.parent_start_ns)
  FROM up u
  JOIN incs i ON i.recording = u.recording AND i.pid = u.cur_pid AND i.start_ns = u.cur_start_ns
  WHERE i.forked AND i.parent_start_ns IS NOT NULL AND coalesce(i.first_run_ns > u.at_ns, true)
    AND u.depth < 65 AND NOT u.cycle
),
-- the top of each walk (one row per depth: an incarnation has one parent), the 64th when it
-- went further
tops AS (
  SELECT * FROM (
    SELECT *, max(depth) OVER (PARTITION BY recording, pid, start_ns) AS top_depth FROM up
  )
  WHERE depth = least(top_depth, 64)
),
timeline AS (
  SELECT recording, pid, from_ns, exe, false AS forked, false AS cut, NULL::INTEGER[] AS loop
  FROM runs
  UNION ALL
  -- the ancestor's program at the fork below it, if it had run one by then in that incarnation;
  -- at a loop's close that had not, none: `loop`, the pids of the loop, from the one met again
  -- round to it
  SELECT t.recording, t.pid, t.start_ns,
    CASE WHEN r.from_ns >= t.cur_start_ns THEN r.exe END, true, t.top_depth > 64,
    CASE WHEN t.cycle AND NOT coalesce(r.from_ns >= t.cur_start_ns, false) THEN
      list_transform(t.path[list_position(t.path, t.path[-1]):], k -> k.pid) END
  FROM tops t
  ASOF LEFT JOIN runs r ON r.recording = t.recording AND r.pid = t.cur_pid AND t.at_ns >= r.from_ns
  UNION ALL
  -- a fork whose parent was not recorded: a copy of an unknown program
  SELECT recording, pid, start_ns, NULL, true, false, NULL
  FROM incs WHERE forked AND parent_start_ns IS NULL
)
SELECT recording, pid, from_ns, exe, forked, cut, loop
FROM timeline
QUALIFY row_number() OVER (PARTITION BY recording, pid, from_ns ORDER BY forked, exe) = 1;
INSERT INTO process_programs BY NAME SELECT * EXCLUDE (cut, loop) FROM process_program_walks;
