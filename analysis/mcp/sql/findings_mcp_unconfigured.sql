-- findings (mcp_server_unconfigured): an MCP server used outside the agent's configuration
-- (`mcp_servers` not `configured`: its client is not an agent process, or, over stdio, its
-- client did not start it; over loopback HTTP, and to a remote server over HTTPS, the
-- configuration names a URL, so only the client counts). The tool call that started the server or its client, if one did, is named.
-- High when the server was asked to call tools, else medium.
INSERT INTO findings
WITH flagged AS (
  SELECT s.*, t.name AS tool_name,
    CASE WHEN s.client_role IS DISTINCT FROM 'agent'
      THEN 'its client is not the agent but pid ' || s.client_pid ||
        coalesce(' (' || array_to_string(s.client_chain, ' > ') || ')', '')
      ELSE 'the agent (pid ' || s.client_pid || ') talks to it but did not start it' END AS why
  FROM mcp_servers s
  LEFT JOIN tool_calls t ON t.recording = s.recording AND t.tool_call_id = s.tool_call_id
  WHERE NOT s.configured
)
SELECT recording,
  last_finding_id(x.recording)
    + row_number() OVER (PARTITION BY recording
      ORDER BY init_ns, server_pid, server_host, server_port, client_pid),
  session_id, 'mcp_server_unconfigured', CASE WHEN tool_calls > 0 THEN 'high' ELSE 'medium' END,
  init_ns, NULL,
  list_concat(['mcp_call:' || mcp_call_id],
    CASE WHEN tool_call_id IS NOT NULL THEN ['tool_call:' || tool_call_id] ELSE [] END),
  'MCP server ' || coalesce(server_name, '?') || CASE WHEN server_pid IS NULL
      THEN ' (remote, ' || server_host || ' port ' || server_port || ') was reached over HTTPS ('
        || transport || ') outside the agent''s configuration: '
      ELSE ' (pid ' || server_pid ||
        coalesce(', ' || left(regexp_replace(array_to_string(argv, ' '), '\s+', ' ', 'g'), 160), '') ||
        CASE WHEN transport = 'stdio' THEN ') was not started by the agent''s configuration: '
          ELSE ') was reached over loopback ' || transport || coalesce(' on port ' || server_port, '') ||
            ' outside the agent''s configuration: ' END END || why ||
    coalesce('; started by tool call ' || tool_call_id || ' (' || tool_name || ')', '') ||
    CASE WHEN tool_calls > 0 THEN '; it was asked ' || tool_calls || ' tool calls' ELSE '' END ||
    '.',
  json_object('server_pid', server_pid, 'server_name', server_name, 'transport', transport,
    'server_port', server_port, 'server_host', server_host, 'client_pid', client_pid,
    'client_role', client_role, 'started_by_client', started_by_client,
    'tool_call_id', tool_call_id, 'tool_calls', tool_calls)
FROM flagged x
ORDER BY recording, init_ns;
