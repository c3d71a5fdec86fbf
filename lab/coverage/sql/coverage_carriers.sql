-- coverage_carriers: the files whose hooked TLS functions carried a captured run's main LLM
-- calls (`tls.lib` of the TLS calls on each call's connection), with how many calls each
-- carried, most first: what the matrix names as the file located, whatever file it located
-- before the run (GitHub Copilot CLI's model calls come from the addon runtime.node it unpacks
-- and loads at run time, not from its executable).
SELECT t.lib, count(DISTINCT c.llm_call_id) AS calls
FROM llm_calls c
JOIN http_exchanges h USING (recording, exchange_id)
JOIN tls t
  ON t.recording = h.recording AND t.pid = h.pid AND t.conn_id = h.conn_id
    AND t.conn_gen = h.conn_gen
WHERE c.kind = 'main' AND t.lib IS NOT NULL
GROUP BY t.lib
ORDER BY calls DESC, t.lib;
