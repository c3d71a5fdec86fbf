-- trace_steps: the LLM decisions of one session ($recording, $session): each tool call in
-- order with what the model said before it, its input and its result.
SELECT t.tool_call_id, t.llm_call_id, t.name, t.input::VARCHAR AS input, t.result_text,
  t.result_is_error, c.assistant_text, c.thinking, c.model
FROM tool_calls t
JOIN llm_calls c ON c.recording = t.recording AND c.llm_call_id = t.llm_call_id
WHERE t.recording = $recording AND c.pid = $session
ORDER BY t.tool_call_id;
