-- eval_scores: link precision and recall of each evaluated session against `eval_truth`, over
-- all its events and over its key events (execs, connects, DNS questions, and file events on
-- a marker's path). A predicted link is a row of `links` attributed to a tool call.
WITH sess AS (
  SELECT DISTINCT m.recording, s.session_id, s.agent
  FROM eval_markers m JOIN sessions s ON s.recording = m.recording
),
markers AS (SELECT recording, list(marker) AS ms FROM eval_markers GROUP BY recording),
pred AS (
  SELECT l.recording, l.tool_call_id, l.event_table, l.event_id
  FROM links l JOIN sess USING (recording, session_id)
  WHERE l.attribution = 'tool'
),
scored AS (
  SELECT coalesce(p.recording, t.recording) AS recording,
    coalesce(p.event_table, t.event_table) AS event_table,
    coalesce(p.event_id, t.event_id) AS event_id,
    p.tool_call_id IS NOT NULL AND t.tool_call_id IS NOT NULL
      AND p.tool_call_id = t.tool_call_id AS tp,
    p.tool_call_id IS NOT NULL AS predicted,
    t.tool_call_id IS NOT NULL AS truth
  FROM pred p
  FULL JOIN eval_truth t
    ON t.recording = p.recording AND t.event_table = p.event_table AND t.event_id = p.event_id
),
keyed AS (
  SELECT s.*, a.op IN ('exec', 'connect', 'dns')
      OR (a.event_table = 'file' AND list_bool_or(list_transform(mk.ms, m -> contains(a.path, m))))
      AS key
  FROM scored s
  JOIN actions a USING (recording, event_table, event_id)
  JOIN markers mk USING (recording)
)
SELECT recording, any_value(ag.agent) AS agent,
  count(*) FILTER (WHERE truth) AS truth,
  count(*) FILTER (WHERE predicted) AS predicted,
  count(*) FILTER (WHERE tp) AS tp,
  count(*) FILTER (WHERE truth AND key) AS key_truth,
  count(*) FILTER (WHERE predicted AND key) AS key_predicted,
  count(*) FILTER (WHERE tp AND key) AS key_tp
FROM keyed k
LEFT JOIN (SELECT recording, string_agg(DISTINCT agent, ',') AS agent FROM sess GROUP BY ALL) ag
  USING (recording)
GROUP BY recording
ORDER BY recording;
