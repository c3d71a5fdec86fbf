-- injection_texts: tool results that carry instruction-like text (`injection_patterns`,
-- matched case-insensitively), with the names of the patterns and an excerpt around one. Results
-- are first screened with all patterns at once ($injection_any, their alternation).
INSERT INTO injection_texts
WITH hits AS (
  SELECT t.recording, t.tool_call_id, c.pid AS session_id, t.result_ns, t.result_text,
    p.name, p.regex
  FROM tool_calls t
  JOIN llm_calls c ON c.recording = t.recording AND c.llm_call_id = t.llm_call_id
  JOIN injection_patterns p ON regexp_matches(t.result_text, '(?is)' || p.regex)
  WHERE t.result_text IS NOT NULL AND regexp_matches(t.result_text, $injection_any)
)
SELECT recording, tool_call_id, any_value(session_id), any_value(result_ns),
  list(name ORDER BY name),
  left(regexp_replace(regexp_extract(any_value(result_text),
    '(?is)(.{0,100}(?:' || min(regex) || ').{0,100})', 1), '\s+', ' ', 'g'), 300)
FROM hits
GROUP BY recording, tool_call_id
ORDER BY recording, tool_call_id;
