-- summary_tools: tool calls per tool name of one recording ($1).
SELECT name, count(*) AS calls, count(result_llm_call_id) AS with_result
FROM tool_calls
WHERE recording = $1
GROUP BY name
ORDER BY calls DESC, name;
