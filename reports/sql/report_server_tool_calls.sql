-- report_server_tool_calls: the tools the provider ran within an answer (web search, code
-- execution, ...), in order; input and result cut at $max_text characters. $limit caps the
-- rows.
SELECT t.server_tool_call_id, t.llm_call_id, t.call_index, t.provider_call_id, t.name,
  left(CAST(t.input AS VARCHAR), $max_text) AS input, length(CAST(t.input AS VARCHAR)) AS input_len,
  t.result_type, left(t.result_text, $max_text) AS result_text,
  length(t.result_text) AS result_text_len, t.result_is_error, t.requested_ns,
  count(*) OVER () AS total
FROM server_tool_calls t
ORDER BY t.server_tool_call_id
LIMIT $limit;
