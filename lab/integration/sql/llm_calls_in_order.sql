-- llm_calls_in_order: every LLM call of the recording, in order (the tool_marker checks).
SELECT * FROM llm_calls ORDER BY llm_call_id
