-- transcript_http: the LLM calls over HTTP (TLS or cleartext) that got a response, with their
-- exchange's request line, status, headers and body, in call order (transcript_export.ts).
SELECT l.llm_call_id, e.method, e.path, e.status, e.response_headers, e.streaming,
  e.response_body, l.provider, l.kind, e.recording
FROM http_exchanges e JOIN llm_calls l USING (recording, llm_call_id)
WHERE e.status IS NOT NULL AND l.transport IN ('http', 'cleartext-http')
ORDER BY l.llm_call_id
