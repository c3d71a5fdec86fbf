-- summary_links: how many actions of a recording ($recording) correlation explained: linked to
-- a tool call, in processes no tool call explains, and by how many of its tool calls.
SELECT count(*) AS actions,
  count(*) FILTER (WHERE attribution = 'tool') AS linked,
  count(*) FILTER (WHERE attribution = 'unexplained') AS unexplained,
  count(DISTINCT tool_call_id) FILTER (WHERE attribution = 'tool') AS tools,
  (SELECT count(*) FROM tool_calls t WHERE t.recording = $recording) AS tool_calls
FROM links WHERE recording = $recording;
