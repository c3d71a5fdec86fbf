-- llm_call_hosts: the hosts the LLM calls were made to, as their exchanges name them (the
-- cleartext and proxy checks).
SELECT DISTINCT e.host FROM llm_calls c JOIN http_exchanges e USING (recording, exchange_id)
