-- agent_helpers: an agent's own helper processes are the agent, not tools. A child of the
-- agent process (the top of a branch, depth 1) that executed the agent's own program — the
-- same file as the agent process runs, by the path the kernel resolved (`process.exe`, the
-- same through symlinks), and, when the agent runs as `INTERPRETER SCRIPT` (node cli.js, a
-- first argument that is a path or names a script), the same script — and that started while
-- no tool call of its session was open (no window of `tool_windows` holds its start: the
-- agent started it of its own accord, not a command of a tool call) is a helper: Cline 3's
-- `cline --cline-hub-daemon`, Arctic's `arctic add ...`, GitHub Copilot CLI's self-exec at
-- start-up. It and the processes of its branch started, as were all their parents up to it,
-- outside every such window become role `helper` in `lineage` and `processes.agent_role`, so
-- that what they do is the agent's own, as the agent process's is (`links` attribution
-- `agent`, no `Tool process` finding, their files the agent's in the summary). A process the
-- helper forks inside a tool call's window (and all below it) stays a `descendant`: it may be
-- the tool call's work, or not the agent's at all, and is judged as any other. A tool call
-- that runs the agent's program (`claude --version` as a command) starts it in its window: a
-- tool.
UPDATE lineage l
SET role = 'helper'
FROM (
  WITH RECURSIVE outside AS (
    -- the descendants started while no tool call of their session was open
    SELECT x.recording, x.pid, x.start_ns, x.ppid, x.parent_start_ns
    FROM lineage x
    WHERE x.role = 'descendant' AND x.start_ns IS NOT NULL
      AND NOT EXISTS (
        SELECT 1 FROM tool_windows w
        WHERE w.recording = x.recording AND w.session_id = x.session_id
          AND x.start_ns BETWEEN w.start_ns AND w.end_ns
      )
  ),
  resolved AS (
    -- each incarnation's last executed file as the kernel resolved it (else as named)
    SELECT i.recording, i.pid, i.start_ns,
      arg_max(coalesce(r.exe, r.filename), r.ts_ns) AS file,
      arg_max(r.argv, r.ts_ns) AS argv
    FROM lineage i
    JOIN process r
      ON r.recording = i.recording AND r.pid = i.pid AND r.kind IN ('exec', 'joined')
      AND r.ts_ns >= i.start_ns AND r.ts_ns <= coalesce(i.end_ns, 9223372036854775807)
    WHERE i.role = 'agent' OR (i.role = 'descendant' AND i.depth = 1)
    GROUP BY ALL
  ),
  script AS (
    -- the first argument, when it names a script file: a path, or a script's extension
    SELECT *, list_filter(argv[2:], x -> NOT starts_with(x, '-'))[1] AS first_arg
    FROM resolved
  ),
  tops AS (
    SELECT h.recording, h.pid, h.start_ns
    FROM lineage h
    JOIN outside o ON o.recording = h.recording AND o.pid = h.pid AND o.start_ns = h.start_ns
    JOIN script hx ON hx.recording = h.recording AND hx.pid = h.pid AND hx.start_ns = h.start_ns
    JOIN script ax
      ON ax.recording = h.recording AND ax.pid = h.ppid AND ax.start_ns = h.parent_start_ns
    WHERE h.role = 'descendant' AND h.depth = 1 AND hx.file = ax.file
      AND (ax.first_arg IS NULL
        OR NOT regexp_matches(ax.first_arg, '/|\.(c|m)?[jt]sx?$|\.py$|\.rb$|\.pl$')
        OR hx.first_arg = ax.first_arg)
  ),
  helpers(recording, pid, start_ns) AS (
    -- down the branch, through children started outside every window only
    SELECT recording, pid, start_ns FROM tops
    UNION
    SELECT o.recording, o.pid, o.start_ns
    FROM helpers p
    JOIN outside o
      ON o.recording = p.recording AND o.ppid = p.pid AND o.parent_start_ns = p.start_ns
  )
  SELECT * FROM helpers
) b
WHERE l.recording = b.recording AND l.role = 'descendant' AND l.pid = b.pid
  AND l.start_ns = b.start_ns;

UPDATE processes p
SET agent_role = 'helper'
FROM lineage l
WHERE l.recording = p.recording AND l.pid = p.pid AND l.start_ns IS NOT DISTINCT FROM p.start_ns
  AND l.role = 'helper';
