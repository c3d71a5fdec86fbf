-- otlp_server_tool_calls: every tool the provider ran within an answer of a session (a
-- `gen_ai.server_tool_call` event on that call's chat span), at the end of that answer.
SELECT t.server_tool_call_id, t.llm_call_id, c.pid AS session_id, t.call_index,
  t.provider_call_id, t.name, t.input, t.result_type, t.result_text, t.result_is_error,
  t.requested_ns
FROM server_tool_calls t
JOIN llm_calls c USING (llm_call_id)
JOIN sessions s ON s.session_id = c.pid
ORDER BY t.server_tool_call_id;
