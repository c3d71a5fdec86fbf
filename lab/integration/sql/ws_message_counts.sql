-- ws_message_counts: how many WebSocket messages were read, how many of them compressed and
-- how many with an error (the end-to-end checks).
SELECT count(*) AS n, count(*) FILTER (WHERE compressed) AS z,
  count(*) FILTER (WHERE error IS NOT NULL) AS bad
FROM ws_messages
