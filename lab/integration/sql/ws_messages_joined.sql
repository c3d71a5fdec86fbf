-- ws_messages_joined: per direction, the WebSocket data messages read whole, those damaged (a
-- WebSocket read from its middle: they refer back to bytes sent before the recording), the
-- response.create requests read, and the LLM calls over WebSocket (the mid-session checks).
SELECT m.direction,
  count(*) FILTER (WHERE m.kind IN ('text', 'binary') AND m.error IS NULL) AS read,
  count(*) FILTER (WHERE m.error LIKE 'damaged%') AS damaged,
  count(*) FILTER (WHERE m.event_type = 'response.create' AND m.error IS NULL) AS creates,
  (SELECT count(*) FROM llm_calls WHERE transport = 'websocket') AS calls
FROM ws_messages m
GROUP BY m.direction
ORDER BY m.direction
