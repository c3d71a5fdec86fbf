-- report_links: the links of correlation (`links`, attribution `tool`) from a tool call to an
-- event the timeline marks (the same first $limit events of each kind as report_events).
SELECT l.tool_call_id, l.event_table, l.event_id, l.signals, l.confidence, l.matched
FROM links l
JOIN report_actions e ON e.event_table = l.event_table AND e.event_id = l.event_id
WHERE l.attribution = 'tool' AND l.tool_call_id IS NOT NULL AND e.shown_n <= $limit
ORDER BY l.tool_call_id, l.event_table, l.event_id;
