-- allowlist: the LLM endpoints the recording's agents called, from the Host header (or
-- :authority) of the exchanges that carried LLM calls. Entries from files are added by the
-- loader; these are derived per recording.
INSERT INTO allowlist
SELECT DISTINCT e.recording,
  lower(regexp_replace(regexp_replace(e.host, ':[0-9]+$', ''), '^\[|\]$', '', 'g')),
  TRY_CAST(regexp_extract(e.host, ':([0-9]+)$', 1) AS INTEGER),
  'llm endpoint'
FROM http_exchanges e
JOIN llm_calls c ON c.recording = e.recording AND c.exchange_id = e.exchange_id
WHERE e.host IS NOT NULL AND e.host <> '';
