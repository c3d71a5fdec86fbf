-- program_process_links: the actions of every process that executed a command line
-- containing $program, with their links (the MCP checks: a configured server's own).
WITH p AS (
  SELECT DISTINCT x.pid FROM process x
  WHERE x.kind = 'exec' AND contains(array_to_string(x.argv, ' '), $program)
)
SELECT a.op, l.attribution, l.signals, l.matched, l.tool_call_id
FROM actions a JOIN p USING (pid) JOIN links l USING (recording, event_table, event_id)
