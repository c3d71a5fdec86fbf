-- demo_llm_calls: the LLM calls seen in the TLS plaintext, per recording (demo.ts, through
-- `deno task sql` over the demo's recordings).
SELECT recording, llm_call_id AS call, provider, model, kind,
  input_tokens AS input, output_tokens AS output,
  round(duration_ms) AS ms, tool_call_count AS tools
FROM llm_calls ORDER BY recording, llm_call_id
