-- otlp_agent_http: the HTTP exchanges that are no LLM call made by an agent process itself (an
-- in-process web fetch, an MCP server it speaks to over HTTP), in its session's life, in request
-- order; a WebSocket upgrade that carried LLM calls (Codex's, llm_calls.exchange_id) is no such
-- exchange. Those of processes a tool call started are otlp_http's.
SELECT s.session_id, e.pid, e.exchange_id, e.conn_gen, e.protocol,
  e.host, e.method, e.path, e.status, e.request_bytes, e.response_bytes,
  coalesce(e.request_ns, e.response_ns) AS start_ns,
  coalesce(e.response_end_ns, e.response_ns, e.request_end_ns, e.request_ns) AS end_ns,
  e.request_complete, e.response_complete, e.request_content_type, e.response_content_type,
  e.request_body, e.response_body, e.error
FROM sessions s
JOIN http_exchanges e ON e.pid = s.session_id
  AND (s.start_ns IS NULL OR coalesce(e.request_ns, e.response_ns) >= s.start_ns)
  AND (s.end_ns IS NULL OR coalesce(e.request_ns, e.response_ns) <= s.end_ns)
WHERE e.llm_call_id IS NULL AND coalesce(e.request_ns, e.response_ns) IS NOT NULL
  AND NOT EXISTS (SELECT 1 FROM llm_calls c WHERE c.exchange_id = e.exchange_id)
ORDER BY s.session_id, start_ns, e.exchange_id;
