-- otlp_http: the HTTP exchanges that are no LLM call (a tool's curl to another machine, a
-- download, an MCP server spoken to over HTTP) made by a process linked to a tool call (other
-- than the agent process), once per tool call and process incarnation, in request order; which
-- exchanges are no LLM call is otlp_exchanges' rule.
WITH procs AS (
  SELECT DISTINCT l.tool_call_id, a.pid, a.proc_start_ns, p.end_ns
  FROM links l
  JOIN actions a USING (recording, event_table, event_id)
  LEFT JOIN processes p ON p.pid = a.pid AND p.start_ns IS NOT DISTINCT FROM a.proc_start_ns
  WHERE l.attribution = 'tool' AND l.tool_call_id IS NOT NULL AND a.pid <> l.session_id
)
SELECT pr.tool_call_id, pr.proc_start_ns, e.*
FROM procs pr
JOIN otlp_exchanges e ON e.pid = pr.pid
  AND (pr.proc_start_ns IS NULL OR e.start_ns >= pr.proc_start_ns)
  AND (pr.end_ns IS NULL OR e.start_ns <= pr.end_ns)
ORDER BY pr.tool_call_id, e.start_ns, e.exchange_id;
