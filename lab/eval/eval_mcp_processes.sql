-- eval_mcp_processes: the process incarnations of each configured MCP server, from kernel
-- facts alone: every incarnation that executed the server's configured command (its argv
-- holds it: the agent starts it, through `env node` for a script), and every incarnation they
-- started, parent by parent (`processes` pid, ppid and start times; not `lineage`).
INSERT INTO eval_mcp_processes
WITH RECURSIVE
incarnations AS (
  SELECT p.recording, p.pid, p.start_ns, p.ppid, q.start_ns AS parent_start_ns
  FROM processes p
  ASOF LEFT JOIN processes q
    ON q.recording = p.recording AND q.pid = p.ppid AND p.start_ns >= q.start_ns
),
roots AS (
  SELECT DISTINCT s.recording, s.server, i.pid, i.start_ns
  FROM (SELECT DISTINCT recording, server, command FROM eval_mcp_actions) s
  JOIN process x ON x.recording = s.recording AND x.kind = 'exec'
    AND contains(array_to_string(x.argv, ' '), s.command)
  ASOF JOIN incarnations i ON i.recording = x.recording AND i.pid = x.pid AND x.ts_ns >= i.start_ns
),
tree(recording, server, pid, start_ns) AS (
  SELECT * FROM roots
  UNION
  SELECT t.recording, t.server, i.pid, i.start_ns
  FROM tree t
  JOIN incarnations i
    ON i.recording = t.recording AND i.ppid = t.pid AND i.parent_start_ns = t.start_ns
)
SELECT recording, server, pid, start_ns FROM tree
ORDER BY recording, server, start_ns, pid;
