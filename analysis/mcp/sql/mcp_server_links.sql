-- mcp_server_links: the actions of an MCP server the agent started from its configuration
-- (`mcp_servers.configured`) — its start, its loading, whatever it does between calls — are
-- not a tool call's and not unexplained: they are the server's own (attribution
-- `mcp_server`). The whole process branch the server runs in (the agent's child it descends
-- from, with everything that child started) is the server's; actions of it that serve a
-- `tools/call` keep their `mcp` link (mcp_links.sql runs first), and only actions correlation
-- left `unexplained` change. Signal `mcp_server`, and `mcp_config` when the agent named the
-- server's tools to the model with the name its configuration gives it (`server_alias`, then
-- `matched`); else `matched` is the server's `serverInfo.name`. An unconfigured server's
-- actions stay as they were (and raise `mcp_server_unconfigured`). `unexplained` links are
-- among the rows `links` keeps (`correlate.link_rows`, link_rows.sql): changed there.
UPDATE correlate.link_rows AS links SET
  tool_call_id = NULL,
  attribution = 'mcp_server',
  signals = x.signals,
  confidence = 1.0,
  matched = x.matched
FROM (
  SELECT recording, event_table, event_id, server.signals, server.matched
  FROM (
    -- of several servers in one branch, the first initialized
    SELECT a.recording, a.event_table, a.event_id,
      arg_min({
        'signals': CASE WHEN s.server_alias IS NOT NULL THEN ['mcp_config', 'mcp_server']
          ELSE ['mcp_server'] END,
        'matched': coalesce(s.server_alias, s.server_name)
      }, (s.init_ns, s.mcp_call_id)) AS server
    FROM mcp_servers s
    JOIN actions a ON a.recording = s.recording AND a.branch_pid = s.branch_pid
      AND a.branch_start_ns = s.branch_start_ns
    WHERE s.configured
    GROUP BY ALL
  )
) x
WHERE links.recording = x.recording AND links.event_table = x.event_table
  AND links.event_id = x.event_id AND links.attribution = 'unexplained';
