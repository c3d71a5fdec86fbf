-- llm_calls_with_exchange: every LLM call in order, with the host, path and response content
-- type of the HTTP exchange that carried it (the Ollama checks).
SELECT c.*, e.host, e.path, e.response_content_type
FROM llm_calls c JOIN http_exchanges e USING (recording, exchange_id)
ORDER BY llm_call_id
