-- exchanges_without_llm_call: the HTTP exchanges that carry no LLM call, in order, with the
-- command name of the process that made each (the Ollama checks: curl's upload).
SELECT e.*, p.comm
FROM http_exchanges e LEFT JOIN (SELECT DISTINCT pid, comm FROM processes) p USING (pid)
WHERE e.llm_call_id IS NULL
ORDER BY exchange_id
