-- coverage_capture: whether an agent's run under capture was recovered: its main LLM calls,
-- whether the scenario's prompt ($prompt) is in one's user input and its last answer
-- ($answer) in one's assistant text, the tool calls the main calls' answers asked for and how
-- many of them had their result sent back as a message (`tool_results`, what the scripted
-- server counts) and how many only as the text of a compaction's transcript, tied by the
-- analysis (`transcript_results`: the result's call is a summariser that quotes the
-- conversation, `conversation_via` 'transcript'), the problems rows by kind ('gap 2, llm 1') but the
-- one that says calls have no price (source `llm_calls`: the analysis's unpriced_calls.ts), and
-- apart, the models the price table has no price for, with their calls ('gpt-5.5 4'), as
-- analysis/sql/llm_calls_unpriced.sql finds them: the costs are unknown, the capture is whole.
-- An answer that broke off (outcome `cut` or `error`) and that the agent had finished in its
-- next main call (Qwen Code sends back what it got and asks for the rest) counts as the two
-- texts together.
WITH main AS (
  SELECT *,
    coalesce(lag(CASE WHEN outcome <> 'complete' THEN assistant_text END)
      OVER (PARTITION BY recording, conversation_id ORDER BY llm_call_id), '') AS resumed_from
  FROM llm_calls WHERE kind = 'main'
),
tools AS (
  SELECT t.* FROM tool_calls t JOIN main c USING (recording, llm_call_id)
),
unpriced AS (
  SELECT coalesce(model, request_model, 'no model named') AS named, count(*) AS n
  FROM llm_calls
  WHERE provider <> 'ollama'
    AND (price_source IS NULL OR starts_with(price_source, 'no price for the model'))
  GROUP BY named
),
kinds AS (
  SELECT kind, count(*) AS n FROM problems
  WHERE NOT (source = 'llm_calls' AND kind = 'llm' AND contains(message, ' no price (')
    AND EXISTS (SELECT 1 FROM unpriced))
  GROUP BY kind
)
SELECT (SELECT count(*) FROM main) AS calls,
  coalesce((SELECT bool_or(contains(coalesce(user_input, ''), $prompt)) FROM main), false)
    AS request,
  coalesce((SELECT bool_or(contains(resumed_from || coalesce(assistant_text, ''), $answer))
    FROM main), false)
    AS response,
  (SELECT count(*) FROM tools) AS tool_calls,
  (SELECT count(*) FROM tools t WHERE result_llm_call_id IS NOT NULL AND NOT EXISTS (
    SELECT 1 FROM llm_calls r WHERE r.recording = t.recording
      AND r.llm_call_id = t.result_llm_call_id AND r.conversation_via = 'transcript'))
    AS tool_results,
  (SELECT count(*) FROM tools t JOIN llm_calls r
    ON r.recording = t.recording AND r.llm_call_id = t.result_llm_call_id
    WHERE r.conversation_via = 'transcript') AS transcript_results,
  coalesce((SELECT string_agg(kind || ' ' || n, ', ' ORDER BY kind) FROM kinds), '')
    AS problems,
  coalesce((SELECT string_agg(named || ' ' || n, ', ' ORDER BY n DESC, named) FROM unpriced), '')
    AS unpriced
