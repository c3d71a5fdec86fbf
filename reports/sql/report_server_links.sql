-- report_server_links: the events the timeline marks (the same first $limit events of each
-- kind as report_events) that correlation gives to an MCP server acting on its own, outside
-- the calls it served (`links` attribution `mcp_server`: a server the agent started from its
-- configuration). `server` is the name the agent's configuration gives it when known (signal
-- `mcp_config`), else its `serverInfo.name` (the link's `matched`).
SELECT l.event_table, l.event_id, l.matched AS server, l.signals
FROM links l
JOIN (
  SELECT event_table, event_id,
    row_number() OVER (PARTITION BY shown ORDER BY ts_ns, event_table, event_id) AS n
  FROM report_actions
  WHERE shown IS NOT NULL
) e ON e.event_table = l.event_table AND e.event_id = l.event_id
WHERE l.attribution = 'mcp_server' AND e.n <= $limit
ORDER BY l.event_table, l.event_id;
