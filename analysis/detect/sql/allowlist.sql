-- allowlist: the LLM endpoints the recording's agents called, from the Host header (or
-- :authority) of the exchanges that carried LLM calls. Entries from files are added by the
-- loader; these are derived per recording.
INSERT INTO allowlist
SELECT DISTINCT e.recording,
  -- (authority_host: the one rule of a Host's host and port; one that names no host as sent)
  coalesce(authority_host(e.host), lower(e.host)), authority_port(e.host, NULL),
  'llm endpoint'
FROM http_exchanges e
JOIN llm_calls c ON c.recording = e.recording AND c.exchange_id = e.exchange_id
WHERE e.host IS NOT NULL AND e.host <> '';
