-- trace_session: one session ($recording, $session) as the trace's header shows it.
SELECT agent, prompt, models, llm_calls, tool_calls, input_tokens, output_tokens, cost_usd,
  start_ns, end_ns
FROM sessions WHERE recording = $recording AND session_id = $session;
