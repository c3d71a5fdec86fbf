-- tool_searches: the client-run tool searches of the recording (tool_calls of kind
-- tool_search: Codex loading deferred MCP tools), in order, with what each loaded, the call
-- that carried its result back, and how many actions are linked to it as its own.
SELECT t.tool_call_id, t.name, t.input, t.result_text, t.result_llm_call_id,
  (SELECT count(*) FROM links l
   WHERE l.recording = t.recording AND l.tool_call_id = t.tool_call_id
     AND l.attribution = 'tool') AS linked
FROM tool_calls t
WHERE t.kind = 'tool_search'
ORDER BY t.tool_call_id
