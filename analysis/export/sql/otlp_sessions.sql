-- otlp_sessions: one row per agent session (an `invoke_agent` span), with the provider and
-- model of its first LLM call and its token totals counted as the GenAI conventions count them
-- (input tokens include cache reads and writes), its times, and the capture's host.
SELECT s.session_id, s.agent, s.start_ns, s.end_ns, s.cwd, s.llm_calls, s.tool_calls,
  s.cost_usd, s.models, s.prompt, s.processes,
  first.provider, first.request_model,
  (SELECT host FROM recordings LIMIT 1) AS host,
  (SELECT ended_ns FROM recordings LIMIT 1) AS capture_end_ns,
  (SELECT max(coalesce(end_ns, request_ns)) FROM llm_calls c WHERE c.pid = s.session_id) AS last_call_ns,
  usage.input_tokens, usage.output_tokens, usage.cache_read, usage.cache_write
FROM sessions s
LEFT JOIN LATERAL (
  SELECT provider, coalesce(request_model, model) AS request_model
  FROM llm_calls c WHERE c.pid = s.session_id ORDER BY llm_call_id LIMIT 1
) first ON true
LEFT JOIN LATERAL (
  SELECT
    sum(coalesce(input_tokens, 0) + CASE WHEN provider = 'anthropic'
      THEN coalesce(cache_read_tokens, 0) + coalesce(cache_write_tokens, 0) ELSE 0 END) AS input_tokens,
    sum(output_tokens) AS output_tokens,
    sum(cache_read_tokens) AS cache_read,
    sum(cache_write_tokens) AS cache_write
  FROM llm_calls c WHERE c.pid = s.session_id
) usage ON true
ORDER BY s.session_id;
