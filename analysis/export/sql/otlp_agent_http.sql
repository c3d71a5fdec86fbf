-- otlp_agent_http: the HTTP exchanges that are no LLM call made by an agent process itself (an
-- in-process web fetch, an MCP server it speaks to over HTTP), in its session's life, in request
-- order (which exchanges are no LLM call is otlp_exchanges' rule). Those of processes a tool call
-- started are otlp_http's.
SELECT s.session_id, e.*
FROM sessions s
JOIN otlp_exchanges e ON e.pid = s.session_id
  AND (s.start_ns IS NULL OR e.start_ns >= s.start_ns)
  AND (s.end_ns IS NULL OR e.start_ns <= s.end_ns)
ORDER BY s.session_id, e.start_ns, e.exchange_id;
