-- llm_call_endpoints: the hosts and paths the LLM calls were made to, as their exchanges name
-- them (the checks through a proxy: the model server's, in origin form).
SELECT DISTINCT e.host, e.path
FROM llm_calls c JOIN http_exchanges e USING (recording, exchange_id)
