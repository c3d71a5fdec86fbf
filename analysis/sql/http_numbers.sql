-- http_numbers: the final exchange and LLM call numbers in place of the provisional ids that
-- http_exchanges, sse_events, ws_messages and llm_calls_parsed were written with as each
-- connection was parsed (analysis/http_store.ts fills http_exchange_numbers and
-- http_call_numbers, the numbering of analysis/http_tables.ts). llm_calls is filled from
-- llm_calls_parsed in llm_call_id order (sums of cost_usd, ties of mode() and arg_min() go by
-- the table's order); the working tables are dropped after.
UPDATE http_exchanges h SET exchange_id = m.exchange_id, llm_call_id = m.llm_call_id
FROM http_exchange_numbers m
WHERE h.exchange_id = m.prov;

UPDATE sse_events e SET exchange_id = m.exchange_id
FROM http_exchange_numbers m
WHERE e.exchange_id = m.prov;

UPDATE ws_messages w SET exchange_id = m.exchange_id
FROM http_exchange_numbers m
WHERE w.exchange_id = m.prov;

UPDATE ws_messages w SET llm_call_id = m.llm_call_id
FROM http_call_numbers m
WHERE w.llm_call_id = m.prov;

INSERT INTO llm_calls
SELECT p.* REPLACE (m.llm_call_id AS llm_call_id, m.exchange_id AS exchange_id)
FROM llm_calls_parsed p
JOIN http_call_numbers m ON p.llm_call_id = m.prov
ORDER BY m.llm_call_id;

DROP TABLE llm_calls_parsed;
DROP TABLE http_exchange_numbers;
DROP TABLE http_call_numbers;
