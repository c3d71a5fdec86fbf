-- findings (sensitive_access): counted `sensitive_reads`, one finding per tool call and pattern
-- (per process and pattern for reads no tool call explains), with the severity of the pattern.
INSERT INTO findings
WITH g AS (
  SELECT r.recording, r.session_id, r.tool_call_id, r.attribution, r.pattern,
    any_value(r.label) AS label, any_value(r.severity) AS severity,
    min(r.ts_ns) AS start_ns, max(r.ts_ns) AS end_ns,
    list(DISTINCT r.path ORDER BY r.path) AS paths, bool_or(r.ok) AS succeeded,
    list(DISTINCT r.pid ORDER BY r.pid) AS pids, min(r.pid) AS pid,
    list('file:' || r.event_id ORDER BY r.event_id) AS ev
  FROM sensitive_reads r
  WHERE r.counted
  GROUP BY r.recording, r.session_id, r.tool_call_id, r.attribution, r.pattern,
    CASE WHEN r.tool_call_id IS NULL OR r.attribution <> 'tool' THEN r.pid END
),
described AS (
  SELECT g.*, t.name AS tool, left(regexp_replace(t.input::VARCHAR, '\s+', ' ', 'g'), 160) AS input,
    -- the lineage of the session's latest incarnation of the pid started by the last read
    (SELECT array_to_string(arg_max(l.chain, l.start_ns), ' > ') FROM lineage l
      WHERE l.recording = g.recording AND l.pid = g.pid AND l.session_id = g.session_id
        AND l.start_ns <= g.end_ns) AS chain
  FROM g
  LEFT JOIN tool_calls t
    ON t.recording = g.recording AND t.tool_call_id = g.tool_call_id AND g.attribution = 'tool'
)
SELECT recording,
  last_finding_id(d.recording)
    + row_number() OVER (PARTITION BY recording
      ORDER BY start_ns, pattern, session_id, tool_call_id, attribution, pid),
  session_id, 'sensitive_access', severity, start_ns, end_ns,
  list_concat(
    CASE WHEN attribution = 'tool' THEN ['tool_call:' || tool_call_id] ELSE [] END, ev[1:20]),
  CASE WHEN succeeded THEN 'Read ' ELSE 'Tried to read ' END || array_to_string(paths, ', ') ||
    ' (' || label || ')' ||
    CASE WHEN attribution = 'tool'
      THEN ', as tool call ' || tool_call_id || ' asked (' || tool || ' ' || input || ')'
      WHEN attribution = 'agent' THEN ', in the agent process itself, outside any tool call'
      WHEN attribution = 'mcp_server'
        THEN ', in an MCP server the agent started, outside the calls it served'
      ELSE ', in a process no tool call explains'
    END || coalesce('; process ' || chain, '') || '.',
  json_object('paths', paths, 'pattern', pattern, 'label', label, 'succeeded', succeeded,
    'tool_call_id', tool_call_id, 'tool', tool, 'attribution', attribution, 'pids', pids,
    'lineage', chain)
FROM described d
ORDER BY recording, start_ns;
