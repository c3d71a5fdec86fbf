-- report_llm_calls: the LLM calls in request order with the process incarnation that made
-- them; texts cut at $max_text characters (their full lengths say whether they were cut).
-- $limit caps the rows; `total` says how many there are.
SELECT c.llm_call_id, c.pid, p.start_ns AS proc_start_ns, c.agent, c.provider, c.endpoint,
  c.transport, c.kind, c.side_kind, c.model, c.streaming, c.status, c.request_ns, c.first_token_ns, c.end_ns,
  c.ttft_ms, c.duration_ms,
  left(c.system_prompt, $max_text) AS system_prompt, length(c.system_prompt) AS system_prompt_len,
  md5(c.system_prompt) AS system_prompt_md5,
  left(c.user_input, $max_text) AS user_input, length(c.user_input) AS user_input_len,
  left(c.assistant_text, $max_text) AS assistant_text, length(c.assistant_text) AS assistant_text_len,
  left(c.thinking, $max_text) AS thinking, length(c.thinking) AS thinking_len,
  c.tool_call_count, c.server_tool_call_count, c.tool_result_count, c.messages, c.tools_offered, c.stop_reason,
  c.input_tokens, c.output_tokens, c.cache_read_tokens, c.cache_write_tokens,
  c.reasoning_tokens, c.cost_usd, c.incomplete, c.error,
  count(*) OVER () AS total
FROM llm_calls c
ASOF LEFT JOIN processes p ON p.pid = c.pid AND c.request_ns >= p.start_ns
ORDER BY c.llm_call_id
LIMIT $limit;
