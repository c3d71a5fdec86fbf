-- links: one row per action (every row of `actions`): the tool call that caused it, the signals
-- that say so and a confidence, or why no tool call explains it. A view: every row with a tool
-- call (also the agent's or a launcher's action that correlation or an MCP call, mcp_links.sql,
-- linked to one) and every row of an action that is not the agent's own (a descendant's, one
-- outside every session) are stored (link_rows.sql, in `correlate.link_rows`); the agent's own
-- actions that no tool call explains (role `agent` or `launcher`, most of a recording's
-- actions: the agent's file events) are not stored but given here from `actions` as
-- link_rows.sql would give them: attribution `agent`, no signal, confidence 0, nothing matched.
-- Writing those rows was most of the cost of links (reports/bench/analysis.md, session 32). A
-- reader that keeps `tool` or `unexplained` links reads the stored rows alone (the branch below
-- gives `agent` only). A recording's view binds its own tables, also when `deno task sql`
-- stacks it.
CREATE OR REPLACE VIEW links AS
SELECT recording, event_table, event_id, session_id, tool_call_id, attribution, signals,
  confidence, matched
FROM correlate.link_rows
UNION ALL
SELECT a.recording, a.event_table, a.event_id, a.session_id, NULL::BIGINT AS tool_call_id,
  'agent' AS attribution, []::VARCHAR[] AS signals, 0::DOUBLE AS confidence,
  NULL::VARCHAR AS matched
-- (an ANTI JOIN: the same rows as NOT EXISTS, which DuckDB 1.5.5 ran 7 times slower here)
FROM actions a
ANTI JOIN correlate.link_rows k
  ON k.recording = a.recording AND k.event_table = a.event_table AND k.event_id = a.event_id
WHERE a.role IN ('agent', 'helper', 'launcher');
