-- findings (mcp_tool_poisoning): an MCP server that put instructions for the model where the
-- model reads them as facts: a tool description in a `tools/list` answer (high: the agent puts
-- it in every request's tool list) or a `tools/call` result (medium) matching the instruction
-- patterns (`injection_patterns`, analysis/detect/injection_phrases.txt).
INSERT INTO findings
WITH texts AS (
  SELECT t.recording, c.session_id, c.mcp_call_id, c.start_ns, c.end_ns, c.server_pid,
    coalesce(t.server_name, c.server_name) AS server_name, 'description of tool ' || t.name AS what,
    t.description AS text, 'high' AS severity
  FROM mcp_tools t
  JOIN mcp_calls c ON c.recording = t.recording AND c.mcp_call_id = t.mcp_call_id
  WHERE t.description IS NOT NULL
  UNION ALL
  SELECT c.recording, c.session_id, c.mcp_call_id, c.start_ns, c.end_ns, c.server_pid,
    c.server_name, 'result of ' || c.tool, c.result::VARCHAR, 'medium'
  FROM mcp_calls c
  WHERE c.method = 'tools/call' AND c.result IS NOT NULL
),
hits AS (
  SELECT x.recording, x.session_id, x.mcp_call_id, x.start_ns, x.end_ns, x.server_pid,
    x.server_name, x.what, x.severity, left(x.text, 300) AS excerpt,
    list(p.name ORDER BY p.name) AS patterns
  FROM texts x
  JOIN injection_patterns p ON regexp_matches(x.text, '(?is)' || p.regex)
  GROUP BY ALL
)
SELECT recording,
  last_finding_id(h.recording)
    + row_number() OVER (PARTITION BY recording ORDER BY start_ns, mcp_call_id, what, excerpt),
  session_id, 'mcp_tool_poisoning', severity, start_ns, end_ns,
  ['mcp_call:' || mcp_call_id],
  'MCP server ' || coalesce(server_name, '?') || ' (pid ' || coalesce(server_pid::VARCHAR, '?') ||
    ') carries instructions for the model in the ' || what || ' (' ||
    array_to_string(patterns, ', ') || '): "' || regexp_replace(excerpt, '\s+', ' ', 'g') || '".',
  json_object('server_pid', server_pid, 'server_name', server_name, 'where', what,
    'patterns', patterns, 'excerpt', excerpt)
FROM hits h
ORDER BY recording, start_ns;
