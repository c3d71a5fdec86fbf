-- otlp_tool_calls: every tool call of a session (an `execute_tool` span), timed by its window
-- (from the first output of the answer that asked for it to the request that carried its result
-- back), else by when it was read and answered; with how its command ended by the kernel's
-- evidence (`tool_outcomes`).
SELECT t.tool_call_id, t.llm_call_id, c.pid AS session_id, t.call_index, t.provider_call_id,
  t.name, t.kind, t.input, t.result_llm_call_id, t.result_text, t.result_is_error,
  t.requested_ns, t.result_ns,
  w.start_ns AS window_start_ns, w.end_ns AS window_end_ns, w.end_kind,
  o.outcome, o.failed AS outcome_failed
FROM tool_calls t
JOIN llm_calls c USING (llm_call_id)
JOIN sessions s ON s.session_id = c.pid
LEFT JOIN tool_windows w USING (tool_call_id)
LEFT JOIN tool_outcomes o USING (tool_call_id)
ORDER BY t.tool_call_id;
