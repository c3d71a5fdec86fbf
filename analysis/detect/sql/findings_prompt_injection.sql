-- findings (prompt_injection): instruction-like text in a tool result (`injection_texts`)
-- that the session then acted on: later tool calls (asked for in answers to requests that
-- carried the text back, or later) that name paths, URLs or hosts the text names and the
-- user's request does not, or whose actions read sensitive files or reach destinations
-- outside the allowlist without the request naming them. High when such an action is a
-- sensitive read or an outside destination, else medium.
INSERT INTO findings
WITH later AS (
  SELECT s.recording, s.session_id, s.tool_call_id AS source_id, s.excerpt, s.patterns,
    s.result_ns, t.tool_call_id, t.name, t.input::VARCHAR AS input, src.result_text,
    lower(coalesce(ss.prompt, '')) AS prompt
  FROM injection_texts s
  JOIN tool_calls src ON src.recording = s.recording AND src.tool_call_id = s.tool_call_id
  JOIN tool_calls t ON t.recording = s.recording AND t.tool_call_id > s.tool_call_id
  JOIN llm_calls c ON c.recording = t.recording AND c.llm_call_id = t.llm_call_id
    AND c.pid = s.session_id AND c.request_ns >= s.result_ns
  LEFT JOIN sessions ss ON ss.recording = s.recording AND ss.session_id = s.session_id
),
echoed AS (
  -- terms of a later call that the injected text names and the request does not
  SELECT l.recording, l.source_id, l.tool_call_id, coalesce(t.host, t.term) AS term
  FROM later l
  JOIN tool_terms t ON t.recording = l.recording AND t.tool_call_id = l.tool_call_id
  WHERE t.kind IN ('path', 'url', 'host')
    AND length(coalesce(t.host, t.term)) >= $min_term_length
    AND contains(lower(l.result_text), lower(coalesce(t.host, t.term)))
    AND NOT contains(l.prompt, lower(coalesce(t.host, t.term)))
),
risky AS (
  -- later calls whose actions were a sensitive read or reached an outside destination (a read
  -- whose open failed counts here, unlike for exfiltration: the injected instruction was obeyed)
  SELECT l.recording, l.source_id, l.tool_call_id, 'file:' || r.event_id AS ev,
    r.path AS what
  FROM later l
  JOIN sensitive_reads r ON r.recording = l.recording AND r.tool_call_id = l.tool_call_id
  WHERE r.counted AND NOT contains(l.prompt, lower(r.path))
  UNION ALL
  SELECT l.recording, l.source_id, l.tool_call_id, 'net:' || d.event_id,
    coalesce(d.name, d.addr || ':' || d.port)
  FROM later l
  JOIN net_destinations d ON d.recording = l.recording AND d.tool_call_id = l.tool_call_id
  WHERE NOT d.allowed AND NOT contains(l.prompt, lower(coalesce(d.name, d.addr)))
),
acted AS (
  SELECT recording, source_id, tool_call_id FROM echoed
  UNION
  SELECT recording, source_id, tool_call_id FROM risky
),
execs AS (
  SELECT a.recording, k.source_id, list('process:' || a.event_id ORDER BY a.event_id) AS ev,
    list(DISTINCT array_to_string(g.chain, ' > ') ORDER BY array_to_string(g.chain, ' > ')) AS chains
  FROM acted k
  JOIN links l ON l.recording = k.recording AND l.tool_call_id = k.tool_call_id
    AND l.attribution = 'tool' AND l.event_table = 'process'
  JOIN actions a
    ON a.recording = l.recording AND a.event_table = l.event_table AND a.event_id = l.event_id
  JOIN lineage g ON g.recording = a.recording AND g.pid = a.pid AND g.start_ns = a.proc_start_ns
  WHERE a.op = 'exec'
  GROUP BY a.recording, k.source_id
),
g AS (
  SELECT l.recording, l.session_id, l.source_id, any_value(l.excerpt) AS excerpt,
    any_value(l.patterns) AS patterns, any_value(l.result_ns) AS result_ns,
    list(DISTINCT k.tool_call_id ORDER BY k.tool_call_id) AS acted_ids,
    list(DISTINCT l.name || ' ' || left(regexp_replace(l.input, '\s+', ' ', 'g'), 120)
      ORDER BY l.name || ' ' || left(regexp_replace(l.input, '\s+', ' ', 'g'), 120))
      FILTER (WHERE l.tool_call_id IN (SELECT tool_call_id FROM acted a2
        WHERE a2.recording = l.recording AND a2.source_id = l.source_id)) AS acted_inputs
  FROM later l
  JOIN acted k ON k.recording = l.recording AND k.source_id = l.source_id
    AND k.tool_call_id = l.tool_call_id
  GROUP BY l.recording, l.session_id, l.source_id
),
complete AS (
  SELECT g.*,
    (SELECT list(DISTINCT e.term ORDER BY e.term) FROM echoed e
      WHERE e.recording = g.recording AND e.source_id = g.source_id) AS terms,
    -- an event once (a connect through a proxy reaches a destination per host asked of it)
    (SELECT list(DISTINCT r.ev ORDER BY r.ev) FROM risky r
      WHERE r.recording = g.recording AND r.source_id = g.source_id) AS risky_ev,
    (SELECT list(DISTINCT r.what ORDER BY r.what) FROM risky r
      WHERE r.recording = g.recording AND r.source_id = g.source_id) AS risky_what,
    x.ev AS exec_ev, x.chains,
    (SELECT max(coalesce(t.result_ns, t.requested_ns)) FROM tool_calls t
      WHERE t.recording = g.recording AND list_contains(g.acted_ids, t.tool_call_id)) AS end_ns
  FROM g
  LEFT JOIN execs x ON x.recording = g.recording AND x.source_id = g.source_id
)
SELECT recording,
  last_finding_id(complete.recording)
    + row_number() OVER (PARTITION BY recording ORDER BY result_ns, source_id),
  session_id, 'prompt_injection',
  CASE WHEN len(coalesce(risky_ev, [])) > 0 THEN 'high' ELSE 'medium' END,
  result_ns, end_ns,
  list_concat(['tool_call:' || source_id], list_transform(acted_ids, x -> 'tool_call:' || x),
    coalesce(exec_ev, [])[1:10], coalesce(risky_ev, [])[1:10]),
  'The result of tool call ' || source_id || ' carried instruction-like text ("' || excerpt ||
    '"); afterwards the agent ran tool call' || CASE WHEN len(acted_ids) > 1 THEN 's ' ELSE ' ' END ||
    array_to_string(acted_ids, ', ') || ' (' || array_to_string(acted_inputs, '; ') || ')' ||
    CASE WHEN len(coalesce(terms, [])) > 0
      THEN ', naming ' || array_to_string(terms, ', ') || ' as the text did' ELSE '' END ||
    CASE WHEN len(coalesce(risky_what, [])) > 0
      THEN ', reaching ' || array_to_string(risky_what, ', ') ELSE '' END ||
    ', which the user''s request did not ask for.',
  json_object('source_tool_call_id', source_id, 'text', excerpt, 'patterns', patterns,
    'tool_call_ids', acted_ids, 'terms', terms, 'sensitive_or_outside', risky_what,
    'lineage', chains)
FROM complete
ORDER BY recording, result_ns;
