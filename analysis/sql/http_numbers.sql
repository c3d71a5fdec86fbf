-- http_numbers: http_exchanges, sse_events, ws_messages and llm_calls filled from the working
-- tables the rows were written to as each connection was parsed (http_exchanges_parsed, ...,
-- temporary tables), with the final exchange and LLM call numbers in place of the
-- provisional ids (analysis/http_store.ts fills http_exchange_numbers and http_call_numbers,
-- the numbering of analysis/http_tables.ts; a provisional id without a number stays as it
-- is). llm_calls is filled in llm_call_id order (sums of cost_usd, ties of mode() and
-- arg_min() go by the table's order); the working tables are dropped after.
INSERT INTO http_exchanges
SELECT p.* REPLACE (
  CASE WHEN m.prov IS NULL THEN p.exchange_id ELSE m.exchange_id END AS exchange_id,
  CASE WHEN m.prov IS NULL THEN p.llm_call_id ELSE m.llm_call_id END AS llm_call_id)
FROM http_exchanges_parsed p
LEFT JOIN http_exchange_numbers m ON p.exchange_id = m.prov;

INSERT INTO sse_events
SELECT p.* REPLACE (coalesce(m.exchange_id, p.exchange_id) AS exchange_id)
FROM sse_events_parsed p
LEFT JOIN http_exchange_numbers m ON p.exchange_id = m.prov;

INSERT INTO ws_messages
SELECT p.* REPLACE (
  coalesce(m.exchange_id, p.exchange_id) AS exchange_id,
  coalesce(k.llm_call_id, p.llm_call_id) AS llm_call_id)
FROM ws_messages_parsed p
LEFT JOIN http_exchange_numbers m ON p.exchange_id = m.prov
LEFT JOIN http_call_numbers k ON p.llm_call_id = k.prov;

INSERT INTO llm_calls
SELECT p.* REPLACE (m.llm_call_id AS llm_call_id, m.exchange_id AS exchange_id)
FROM llm_calls_parsed p
JOIN http_call_numbers m ON p.llm_call_id = m.prov
ORDER BY m.llm_call_id;

DROP TABLE http_exchanges_parsed;
DROP TABLE sse_events_parsed;
DROP TABLE ws_messages_parsed;
DROP TABLE llm_calls_parsed;
DROP TABLE http_exchange_numbers;
DROP TABLE http_call_numbers;
