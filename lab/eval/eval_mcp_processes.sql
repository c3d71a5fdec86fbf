-- eval_mcp_processes: the process incarnations of each configured MCP server, from kernel
-- facts alone: every incarnation that executed the server's configured command (its argv
-- holds it: the agent starts it, through `env node` for a script), and every incarnation they
-- started, parent by parent (`eval_incarnations.sql`: `processes` pid, ppid and start times;
-- not `lineage`).
INSERT INTO eval_mcp_processes
WITH
roots AS (
  SELECT DISTINCT s.recording, s.server, i.pid, i.start_ns
  FROM (SELECT DISTINCT recording, server, command FROM eval_mcp_actions) s
  JOIN process x ON x.recording = s.recording AND x.kind = 'exec'
    AND contains(array_to_string(x.argv, ' '), s.command)
  ASOF JOIN eval_incarnations i ON i.recording = x.recording AND i.pid = x.pid AND x.ts_ns >= i.start_ns
),
tree AS (
  SELECT DISTINCT r.recording, r.server, d.pid, d.start_ns
  FROM roots r
  JOIN eval_descent d ON d.recording = r.recording AND d.root_pid = r.pid
    AND d.root_start_ns IS NOT DISTINCT FROM r.start_ns
)
SELECT recording, server, pid, start_ns FROM tree
ORDER BY recording, server, start_ns, pid;
