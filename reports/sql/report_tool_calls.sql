-- report_tool_calls: the tool calls in order, with the agent process incarnation whose LLM
-- call asked for them; input and result cut at $max_text characters. $limit caps the rows.
SELECT t.tool_call_id, t.llm_call_id, t.call_index, t.provider_call_id, t.name, t.kind,
  left(CAST(t.input AS VARCHAR), $max_text) AS input, length(CAST(t.input AS VARCHAR)) AS input_len,
  t.result_llm_call_id,
  left(t.result_text, $max_text) AS result_text, length(t.result_text) AS result_text_len,
  t.result_is_error, t.requested_ns, t.result_ns,
  c.pid, p.start_ns AS proc_start_ns,
  count(*) OVER () AS total
FROM tool_calls t
JOIN llm_calls c ON c.llm_call_id = t.llm_call_id
ASOF LEFT JOIN processes p ON p.pid = c.pid AND c.request_ns >= p.start_ns
ORDER BY t.tool_call_id
LIMIT $limit;
