-- http_numbers: the final exchange and LLM call numbers in place of the provisional ids the
-- rows were written with as each connection was parsed (analysis/http_store.ts fills
-- http_exchange_numbers and http_call_numbers, the numbering of analysis/http_tables.ts; a
-- provisional id without a number stays as it is). Runs in the transaction that appended
-- http_exchanges, sse_events and ws_messages, whose ids are updated in place (only the id
-- columns: http_exchanges' bodies are not copied). llm_calls is filled from its working table
-- (llm_calls_parsed) in llm_call_id order (sums of cost_usd go by the table's order); the
-- working tables are dropped after.
UPDATE http_exchanges SET exchange_id = m.exchange_id, llm_call_id = m.llm_call_id
FROM http_exchange_numbers m WHERE http_exchanges.exchange_id = m.prov;

UPDATE sse_events SET exchange_id = m.exchange_id
FROM http_exchange_numbers m WHERE sse_events.exchange_id = m.prov;

UPDATE ws_messages SET exchange_id = m.exchange_id
FROM http_exchange_numbers m WHERE ws_messages.exchange_id = m.prov;

UPDATE ws_messages SET llm_call_id = k.llm_call_id
FROM http_call_numbers k WHERE ws_messages.llm_call_id = k.prov;

INSERT INTO llm_calls
SELECT p.* REPLACE (m.llm_call_id AS llm_call_id, m.exchange_id AS exchange_id,
  m.conversation_id AS conversation_id, m.conversation_via AS conversation_via)
FROM llm_calls_parsed p
JOIN http_call_numbers m ON p.llm_call_id = m.prov
ORDER BY m.llm_call_id;

DROP TABLE llm_calls_parsed;
DROP TABLE http_exchange_numbers;
DROP TABLE http_call_numbers;
