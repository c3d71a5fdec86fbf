-- llm_call_kinds: every LLM call's kind, side kind and message count, in order (the end-to-end
-- checks: one call per request served, warm-ups as side calls).
SELECT kind, side_kind, messages FROM llm_calls ORDER BY llm_call_id
