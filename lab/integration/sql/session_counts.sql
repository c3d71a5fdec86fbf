-- session_counts: each session's agent and how many LLM and tool calls it made (the cleartext
-- checks).
SELECT agent, llm_calls, tool_calls FROM sessions
