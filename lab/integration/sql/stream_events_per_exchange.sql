-- stream_events_per_exchange: per HTTP exchange with streamed events, how many it has and
-- whether all of them are NDJSON lines (the Ollama checks).
SELECT exchange_id, count(*) AS n, bool_and(type = 'ndjson') AS ndjson
FROM sse_events GROUP BY exchange_id ORDER BY exchange_id
