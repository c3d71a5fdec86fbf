-- otlp_llm_calls: every LLM call of a session (a `chat` / `generate_content` span) with the
-- server it went to (the exchange's Host, its port or the transport's: 80 in cleartext, else
-- 443) and its content columns.
SELECT c.llm_call_id, c.pid AS session_id, c.provider, c.endpoint, c.transport, c.kind,
  c.side_kind, c.model, c.request_model, c.streaming, c.status, c.request_ns, c.first_byte_ns,
  c.first_token_ns, c.end_ns, c.input_tokens, c.output_tokens, c.cache_read_tokens,
  c.cache_write_tokens, c.reasoning_tokens, c.cost_usd, c.stop_reason, c.response_id,
  c.incomplete, c.error, c.system_prompt, c.user_input, c.assistant_text, c.thinking,
  c.tool_call_count, c.conversation_id, x.host AS server
FROM llm_calls c
JOIN sessions s ON s.session_id = c.pid
LEFT JOIN http_exchanges x ON x.exchange_id = c.exchange_id
ORDER BY c.llm_call_id;
