-- injection_chain: the steps of a prompt injection in time order — tool results that carried
-- instruction-like text back to the model, reads of sensitive files, and connections or DNS
-- questions to destinations outside the allowlist — each with the tool call behind it.
WITH t0 AS (SELECT min(start_ns) AS t0 FROM processes),
steps AS (
  SELECT result_ns AS ts_ns, 'instructions in a tool result' AS step, tool_call_id,
    excerpt AS what
  FROM injection_texts
  UNION ALL
  SELECT ts_ns, 'sensitive file read', tool_call_id, path || ' (' || label || ')'
  FROM sensitive_reads WHERE counted
  UNION ALL
  -- a connect at the port of its destination (through a proxy: the port asked of it, not the
  -- proxy's), a DNS question at its resolver's
  SELECT ts_ns, 'destination outside the allowlist', tool_call_id,
    op || ' ' || coalesce(name, addr, '?') ||
      coalesce(':' || CASE WHEN op = 'connect' THEN dest_port ELSE port END, '')
  FROM net_destinations WHERE NOT allowed
)
SELECT round((s.ts_ns - t0.t0) / 1e9, 3) AS t_s, s.step, s.tool_call_id,
  t.name AS tool, left(CAST(t.input AS VARCHAR), 160) AS tool_input, left(s.what, 200) AS what
FROM steps s CROSS JOIN t0
LEFT JOIN tool_calls t ON t.tool_call_id = s.tool_call_id
ORDER BY s.ts_ns, s.step, s.tool_call_id, s.what;
