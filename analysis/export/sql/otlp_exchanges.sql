-- otlp_exchanges: the HTTP exchanges that are no LLM call, the one rule otlp_http (those of
-- processes a tool call started) and otlp_agent_http (the agent process's own) read them by: not
-- an LLM call's exchange (http_exchanges.llm_call_id), nor a WebSocket upgrade that carried LLM
-- calls (Codex's, llm_calls.exchange_id; exported as its chat spans), and seen being sent or
-- answered; the columns the spans need, with the span's start and end.
CREATE OR REPLACE TEMP VIEW otlp_exchanges AS
SELECT
  e.pid, e.exchange_id, e.conn_gen, e.protocol, e.host, e.method, e.path, e.status,
  e.request_bytes, e.response_bytes, e.request_complete, e.response_complete,
  e.request_content_type, e.response_content_type, e.request_body, e.response_body, e.error,
  coalesce(e.request_ns, e.response_ns) AS start_ns,
  coalesce(e.response_end_ns, e.response_ns, e.request_end_ns, e.request_ns) AS end_ns
FROM http_exchanges e
WHERE e.llm_call_id IS NULL AND coalesce(e.request_ns, e.response_ns) IS NOT NULL
  AND NOT EXISTS (SELECT 1 FROM llm_calls c WHERE c.exchange_id = e.exchange_id);
