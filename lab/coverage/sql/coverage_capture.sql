-- coverage_capture: whether an agent's run under capture was recovered: its main LLM calls,
-- and whether the scenario's prompt ($prompt) is in one's user input and its last answer
-- ($answer) in one's assistant text.
SELECT count(*) FILTER (WHERE kind = 'main') AS calls,
  coalesce(bool_or(contains(coalesce(user_input, ''), $prompt)), false) AS request,
  coalesce(bool_or(contains(coalesce(assistant_text, ''), $answer)), false) AS response
FROM llm_calls
