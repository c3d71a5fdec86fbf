-- coverage_session: the main LLM calls of a recording in order (the interrupt, resume and
-- compaction scenarios of the coverage matrix): how each answer ended, its process, its
-- conversation and how it joined it, that conversation's processes and compactions, and how
-- the calls of that conversation (main and side) joined it, e.g. 'history,resumed,summary'.
WITH vias AS (
  SELECT recording, conversation_id,
    string_agg(DISTINCT conversation_via, ',' ORDER BY conversation_via) AS conversation_vias
  FROM llm_calls WHERE conversation_via IS NOT NULL
  GROUP BY recording, conversation_id
)
SELECT c.llm_call_id, c.pid, c.outcome, c.conversation_id, c.conversation_via,
  coalesce(c.assistant_text, '') AS assistant_text,
  coalesce(v.processes, 0) AS processes, coalesce(v.compactions, 0) AS compactions,
  coalesce(w.conversation_vias, '') AS conversation_vias
FROM llm_calls c
LEFT JOIN conversations v USING (recording, conversation_id)
LEFT JOIN vias w USING (recording, conversation_id)
WHERE c.kind = 'main'
ORDER BY c.recording, c.llm_call_id
