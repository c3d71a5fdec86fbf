-- The recorded timing of every LLM call with a response, for transcripts that replay it: when
-- the request was sent (its last byte written; over a WebSocket, its message), when each piece
-- of the answer arrived (server-sent events, or the server's WebSocket text messages, in
-- order) and when the response ended. Times are those of the TLS calls that carried them.
SELECT
  l.llm_call_id,
  CASE WHEN l.transport = 'websocket' THEN l.request_ns
    ELSE coalesce(e.request_end_ns, e.request_ns) END AS sent_ns,
  CASE WHEN l.transport = 'websocket' THEN l.end_ns ELSE e.response_end_ns END AS end_ns,
  CASE WHEN l.transport = 'websocket' THEN (
      SELECT list(m.ts_ns ORDER BY m.message_index) FROM ws_messages m
      WHERE m.recording = l.recording AND m.llm_call_id = l.llm_call_id
        AND m.direction = 'server' AND m.kind = 'text')
    ELSE (
      SELECT list(s.ts_ns ORDER BY s.event_index) FROM sse_events s
      WHERE s.recording = e.recording AND s.exchange_id = e.exchange_id)
    END AS piece_ns
FROM llm_calls l
JOIN http_exchanges e USING (recording, exchange_id)
ORDER BY l.llm_call_id
