-- server_tool_calls_in_order: every tool the provider ran within an answer, in order (the
-- content-kind checks: a hosted web search is not the agent's tool call).
SELECT * FROM server_tool_calls ORDER BY server_tool_call_id
