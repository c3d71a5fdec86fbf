-- summary_models: LLM calls, tokens and cost per model of one recording ($1).
SELECT coalesce(model, '(unknown)') AS model,
  count(*) AS calls,
  count(*) FILTER (WHERE kind = 'side') AS side,
  coalesce(sum(input_tokens), 0) AS input,
  coalesce(sum(output_tokens), 0) AS output,
  coalesce(sum(cache_read_tokens), 0) AS cache_read,
  coalesce(sum(cache_write_tokens), 0) AS cache_write,
  round(sum(cost_usd), 6) AS cost_usd
FROM llm_calls
WHERE recording = $1
GROUP BY ALL
ORDER BY calls DESC, model;
