-- tool_calls_in_order: every tool call of the recording, in order (the tool_marker and Ollama
-- checks).
SELECT * FROM tool_calls ORDER BY tool_call_id
