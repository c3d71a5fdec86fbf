-- findings (reasoning_loop): `tool_cycles` runs of at least $loop_cycles identical failing
-- calls, with the tokens and cost spent in the loop and when the alert fired. Medium; high when
-- the run went on to twice the threshold.
INSERT INTO findings
SELECT recording,
  last_finding_id(c.recording)
    + row_number() OVER (PARTITION BY recording
      ORDER BY start_ns, session_id, first_tool_call_id),
  session_id, 'reasoning_loop',
  CASE WHEN cycles >= 2 * $loop_cycles THEN 'high' ELSE 'medium' END,
  start_ns, end_ns, evidence,
  'The model asked for the same ' || name || ' call ' || cycles || ' times in a row (' ||
    left(regexp_replace(input, '\s+', ' ', 'g'), 120) || ') and got the same failure each time (' ||
    failure || ': ' || left(regexp_replace(coalesce(result, ''), '\s+', ' ', 'g'), 120) ||
    '). The alert fired after ' || $loop_cycles || ' cycles, with ' || tokens_at_threshold ||
    ' tokens spent; the loop used ' || (input_tokens + output_tokens) || ' tokens in ' ||
    llm_calls || ' LLM calls' || coalesce(' ($' || round(cost_usd, 4) || ')', '') || '.',
  json_object('cycles', cycles, 'threshold', $loop_cycles, 'tool', name, 'input', input,
    'failure', failure, 'result', result, 'llm_calls', llm_calls, 'input_tokens', input_tokens,
    'output_tokens', output_tokens, 'tokens', input_tokens + output_tokens, 'cost_usd', cost_usd,
    'tokens_at_threshold', tokens_at_threshold, 'threshold_ns', threshold_ns,
    'first_tool_call_id', first_tool_call_id, 'last_tool_call_id', last_tool_call_id)
FROM tool_cycles c
WHERE cycles >= $loop_cycles
ORDER BY recording, start_ns;
