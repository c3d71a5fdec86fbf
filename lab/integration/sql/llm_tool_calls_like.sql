-- llm_tool_calls_like: the tool calls an LLM call asked for whose name is LIKE $pattern, with
-- their results (the mid-session checks: echo, asked after the join).
SELECT t.tool_call_id, t.result_text
FROM llm_calls c JOIN tool_calls t USING (recording, llm_call_id)
WHERE t.name LIKE $pattern
