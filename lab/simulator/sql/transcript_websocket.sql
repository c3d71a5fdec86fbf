-- transcript_websocket: the LLM calls over a WebSocket, with the texts and event types of the
-- server's text messages, in call order (transcript_export.ts).
SELECT l.llm_call_id, e.path, l.status, l.provider, l.kind, e.recording,
  list(m.text ORDER BY m.message_index) AS texts,
  list(m.event_type ORDER BY m.message_index) AS types
FROM llm_calls l
JOIN http_exchanges e USING (recording, exchange_id)
JOIN ws_messages m ON m.recording = l.recording AND m.llm_call_id = l.llm_call_id
  AND m.direction = 'server' AND m.kind = 'text'
WHERE l.transport = 'websocket'
GROUP BY ALL
ORDER BY l.llm_call_id
