-- llm_calls_unpriced: the models of recording $1 whose LLM calls the price table has no price
-- for (llm_calls.price_source null, or "no price for the model; ..." on a call cut short), most
-- calls first (Ollama's own API left out: a local model, no price per token): the model that answered, else the one requested (null: none named), and its calls.
SELECT coalesce(c.model, c.request_model) AS named, count(*) AS n
FROM llm_calls c
WHERE c.recording = $1 AND c.provider <> 'ollama'
  AND (c.price_source IS NULL OR starts_with(c.price_source, 'no price for the model'))
GROUP BY named
ORDER BY n DESC, named NULLS LAST
