-- llm_call_pids: the processes that made LLM calls (the MCP checks: the agent).
SELECT DISTINCT pid FROM llm_calls
