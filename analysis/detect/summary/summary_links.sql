-- summary_links: how many actions of a recording ($recording) correlation explained: linked to
-- a tool call, in processes no tool call explains, and by how many of its tool calls. Every
-- action has one link (`links`), so the actions are counted in their raw rows (action_rows(),
-- the one definition `actions` reads: action_rows.sql), without their lineage; the links read
-- are the `tool` and `unexplained` ones, all stored rows (links.sql): counting every link gave
-- each of the agent's own actions its lineage through `actions`, about 1 s of CPU per call at
-- 10M events (reports/bench/analysis.md, session 35).
SELECT (SELECT count(*) FROM action_rows() WHERE recording = $recording) AS actions,
  count(*) FILTER (WHERE attribution = 'tool') AS linked,
  count(*) FILTER (WHERE attribution = 'unexplained') AS unexplained,
  count(DISTINCT tool_call_id) FILTER (WHERE attribution = 'tool') AS tools,
  (SELECT count(*) FROM tool_calls t WHERE t.recording = $recording) AS tool_calls
FROM links WHERE recording = $recording AND attribution IN ('tool', 'unexplained');
