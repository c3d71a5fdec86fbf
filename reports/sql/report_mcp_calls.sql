-- report_mcp_calls: the MCP `tools/call`s in order, each with its server (name, the agent's
-- name for it, pid and process incarnation; the client's incarnation too), the LLM tool call that caused it
-- (`mcp_tool_links`), its transport (`stdio`, `http`, `sse`; the server's port for the
-- last two, and its host when it was reached over TLS), arguments and result cut at $max_text characters, whether it failed,
-- its latency, and the actions the server took for it (`links` with the signal `mcp`): how
-- many, and the first $max_actions of them in time order (each cut at 300 characters). $limit
-- caps the rows.
WITH acts AS (
  SELECT l.tool_call_id, count(*) AS n,
    list(left(a.summary, 300) ORDER BY a.ts_ns, a.event_table, a.event_id) AS summaries
  FROM links l
  JOIN actions a USING (recording, event_table, event_id)
  WHERE l.attribution = 'tool' AND list_contains(l.signals, 'mcp')
  GROUP BY l.tool_call_id
)
SELECT m.mcp_call_id, k.tool_call_id, k.server_alias, m.server_name, m.server_pid,
  p.start_ns AS server_start_ns, m.client_pid, q.start_ns AS client_start_ns, m.transport, m.server_port, m.server_host,
  m.tool,
  left(CAST(m.arguments AS VARCHAR), $max_text) AS arguments,
  length(CAST(m.arguments AS VARCHAR)) AS arguments_len,
  left(CAST(m.result AS VARCHAR), $max_text) AS result, length(CAST(m.result AS VARCHAR)) AS result_len,
  m.is_error, m.error_code, m.error_message, m.start_ns, m.end_ns, m.latency_ms,
  coalesce(a.n, 0) AS actions, coalesce(a.summaries[1:$max_actions], []) AS action_labels,
  count(*) OVER () AS total
FROM mcp_calls m
LEFT JOIN mcp_tool_links k ON k.recording = m.recording AND k.mcp_call_id = m.mcp_call_id
LEFT JOIN acts a ON a.tool_call_id = k.tool_call_id
ASOF LEFT JOIN processes p ON p.pid = m.server_pid AND m.start_ns >= p.start_ns
ASOF LEFT JOIN processes q ON q.pid = m.client_pid AND m.start_ns >= q.start_ns
WHERE m.method = 'tools/call'
ORDER BY m.start_ns, m.mcp_call_id
LIMIT $limit;
