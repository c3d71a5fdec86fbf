-- report_server_links: the events the timeline marks (the same first $limit events of each
-- kind as report_events) that correlation gives to an MCP server acting on its own, outside
-- the calls it served (`links` attribution `mcp_server`: a server the agent started from its
-- configuration). `server` is the name the agent's configuration gives it when known (signal
-- `mcp_config`), else its `serverInfo.name` (the link's `matched`).
SELECT l.event_table, l.event_id, l.matched AS server, l.signals
FROM links l
JOIN report_actions e ON e.event_table = l.event_table AND e.event_id = l.event_id
WHERE l.attribution = 'mcp_server' AND e.shown_n <= $limit
ORDER BY l.event_table, l.event_id;
