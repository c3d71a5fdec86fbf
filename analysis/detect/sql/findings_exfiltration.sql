-- findings (exfiltration): a counted sensitive read (an open that succeeded: one that failed
-- read nothing) followed, in the same session (the same process lineage) and within
-- $exfil_window_ns, by a connection or DNS question to a destination the allowlist does not
-- cover. One finding per session and destination;
-- critical when the read and the traffic share a process branch or a tool call (the same
-- command read the secret and sent it), high otherwise. What a send carried, when the analysis
-- could read it — the plain-HTTP exchanges (`http_exchanges` of `conn_gen` -1, no LLM call) its
-- process made to that address or name and port after the connect — is named too (method,
-- path, status, bytes sent; evidence `http_exchange:ID`). Through an HTTP proxy the
-- destination is each host asked of it, at the port asked for (`net_destinations`), said to
-- go through the proxy's address.
INSERT INTO findings
-- Reads and sends are compared only within $exfil_window_ns-wide slices of time: a read is listed
-- in its slice, a send in its own and the one before, which between them hold every read within
-- the window before it (joined on the session alone, every send was compared with every read of
-- its session: work growing with the square of a session's length).
WITH reads AS (
  SELECT r.*, a.branch_pid, a.branch_start_ns,
    r.ts_ns // greatest($exfil_window_ns, 1) AS slice
  FROM sensitive_reads r
  JOIN actions a ON a.recording = r.recording AND a.event_table = 'file' AND a.event_id = r.event_id
  -- an open that failed read nothing to send (sensitive_access says the attempt)
  WHERE r.counted AND r.ok
),
sends AS (
  SELECT d.*, a.branch_pid, a.branch_start_ns,
    -- through a proxy, the host and port asked of it (`?` when it named none: the proxy's
    -- own port is not the destination's)
    coalesce(d.name, d.addr) ||
      CASE WHEN d.op = 'connect' THEN ':' || coalesce(CAST(d.dest_port AS VARCHAR), '?') ELSE ''
      END AS dest,
    d.name_source IN ('proxy_connection', 'proxy_process') AS via_proxy,
    unnest([d.ts_ns // greatest($exfil_window_ns, 1), d.ts_ns // greatest($exfil_window_ns, 1) - 1])
      AS slice
  FROM net_destinations d
  JOIN actions a ON a.recording = d.recording AND a.event_table = 'net' AND a.event_id = d.event_id
  WHERE NOT d.allowed
),
-- each connect's plain-HTTP exchanges: the sending process's, to the same host (address or
-- name) and port (80 when the Host header names none; through a proxy, the host and port asked
-- of it), from the connect's first request for it on; kept with the destination it is sent
-- to (a keep-alive connection to a proxy is one connect but a send to each host asked of it)
carried AS (
  SELECT s.recording, s.event_id AS net_id, s.dest, e.exchange_id, e.method, e.path, e.status,
    e.request_bytes
  FROM (SELECT DISTINCT recording, event_id, pid, addr, name, dest_port, dest, ts_ns FROM sends
    WHERE op = 'connect') s
  JOIN http_exchanges e ON e.recording = s.recording AND e.pid = s.pid AND e.conn_gen = -1
    AND e.llm_call_id IS NULL AND e.request_ns >= s.ts_ns
    AND authority_port(e.host, 80) = s.dest_port AND authority_host(e.host) IN (s.addr, s.name)
),
pairs AS (
  SELECT s.recording, s.session_id, s.dest, s.name, s.addr, s.port, s.via_proxy,
    s.event_id AS net_id,
    s.ts_ns AS send_ns, s.tool_call_id AS send_tool, r.event_id AS read_id, r.ts_ns AS read_ns,
    r.path, r.label, r.tool_call_id AS read_tool,
    (r.branch_pid = s.branch_pid AND r.branch_start_ns = s.branch_start_ns)
      OR r.tool_call_id = s.tool_call_id AS same_branch
  FROM sends s
  JOIN reads r
    ON r.recording = s.recording AND r.session_id = s.session_id AND r.slice = s.slice
    AND r.ts_ns <= s.ts_ns
    AND s.ts_ns - r.ts_ns <= $exfil_window_ns
),
g AS (
  -- the name, address and port shown are those of the first send (of sends at the same time,
  -- the one recorded first): a name's sends may go to several addresses, a DNS question's
  -- to several resolvers
  SELECT recording, session_id, dest,
    arg_min({'name': name, 'addr': addr, 'port': port, 'via_proxy': via_proxy}, (send_ns, net_id))
      AS first_dest,
    min(read_ns) AS start_ns, max(send_ns) AS end_ns,
    bool_or(same_branch) AS same_branch,
    list(DISTINCT path ORDER BY path) AS paths, list(DISTINCT label ORDER BY label) AS labels,
    list(DISTINCT read_tool ORDER BY read_tool) FILTER (WHERE read_tool IS NOT NULL) AS read_tools,
    list(DISTINCT send_tool ORDER BY send_tool) FILTER (WHERE send_tool IS NOT NULL) AS send_tools,
    list(DISTINCT 'file:' || read_id ORDER BY 'file:' || read_id) AS read_ev,
    list(DISTINCT 'net:' || net_id ORDER BY 'net:' || net_id) AS net_ev,
    min(send_ns) AS first_send,
    list(DISTINCT net_id) AS net_ids
  FROM pairs
  GROUP BY recording, session_id, dest
),
-- the exchanges the sends of each group carried, in id order
http AS (
  SELECT g.recording, g.session_id, g.dest,
    list({'exchange_id': c.exchange_id, 'method': c.method, 'path': c.path, 'status': c.status,
      'request_bytes': c.request_bytes} ORDER BY c.exchange_id) AS sent
  FROM g
  JOIN (SELECT DISTINCT * FROM carried) c
    ON c.recording = g.recording AND c.dest = g.dest
      AND list_contains(g.net_ids, c.net_id)
  GROUP BY ALL
),
named AS (
  SELECT g.* EXCLUDE (first_dest, net_ids), first_dest.name AS name, first_dest.addr AS addr,
    first_dest.port AS port, first_dest.via_proxy AS via_proxy, http.sent
  FROM g
  LEFT JOIN http USING (recording, session_id, dest)
)
SELECT recording,
  last_finding_id(g.recording)
    + row_number() OVER (PARTITION BY recording ORDER BY start_ns, dest, session_id),
  session_id, 'exfiltration', CASE WHEN same_branch THEN 'critical' ELSE 'high' END,
  start_ns, end_ns,
  -- the tool calls that read and sent, each once, in id order (the order they were asked for)
  list_concat(
    list_transform(
      list_sort(list_distinct(list_concat(coalesce(read_tools, []), coalesce(send_tools, [])))),
      x -> 'tool_call:' || x),
    list_sort(read_ev)[1:10], list_sort(net_ev)[1:10],
    list_transform(coalesce(sent, [])[1:10], x -> 'http_exchange:' || x.exchange_id)),
  'After reading ' || array_to_string(paths, ', ') || ' (' || array_to_string(labels, '; ') ||
    ')' || coalesce(' in tool call ' || array_to_string(read_tools, ', '), '') ||
    ', the session ' || CASE WHEN addr IS NULL THEN 'looked up ' ELSE 'connected to ' END ||
    coalesce(name, addr) ||
    CASE WHEN via_proxy THEN ' (through the HTTP proxy at ' || addr || ':' || port || ')'
      WHEN addr IS NOT NULL THEN ' (' || addr || ':' || port || ')' ELSE '' END ||
    coalesce(' in tool call ' || array_to_string(send_tools, ', '), '') ||
    ', a destination outside the allowlist' ||
    CASE WHEN same_branch THEN ', from the same command that read it' ELSE '' END ||
    coalesce(', and sent in plain HTTP ' || array_to_string(list_transform(sent[1:3],
      x -> x.method || ' ' || x.path || ' (' || x.request_bytes || ' bytes' ||
        coalesce(', ' || x.status, '') || ')'), ', ') ||
      CASE WHEN len(sent) > 3 THEN ' and ' || (len(sent) - 3) || ' more' ELSE '' END, '') || '.',
  json_merge_patch(
    json_object('destination', dest, 'name', name, 'addr', addr, 'port', port, 'paths', paths,
      'read_tool_calls', read_tools, 'send_tool_calls', send_tools, 'same_branch', same_branch,
      'seconds_after_read', (first_send - start_ns) / 1e9),
    -- only when the sends carried plain HTTP the analysis read
    CASE WHEN sent IS NOT NULL THEN json_object('http_sent', sent) ELSE '{}' END,
    -- only through a proxy (`addr` and `port` are then the proxy's)
    CASE WHEN via_proxy THEN json_object('via_proxy', true) ELSE '{}' END)
FROM named g
ORDER BY recording, start_ns;
