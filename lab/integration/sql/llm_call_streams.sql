-- llm_call_streams: per LLM call in order, its provider and its exchange's path, response
-- content type and count of stream events (the end-to-end checks on the clouds' routes).
SELECT x.path, x.response_content_type AS ct, x.sse_events AS n, c.provider
FROM llm_calls c JOIN http_exchanges x USING (recording, exchange_id)
ORDER BY c.llm_call_id
