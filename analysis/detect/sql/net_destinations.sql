-- net_destinations: every connect (internet families, not to DNS port 53) and DNS question of
-- a session's processes, with the host name it is known by — the DNS question itself; for a
-- connect, the host of a URL of its tool call on the same port, else the process's last DNS
-- question in the 5 s before (of questions at the same time, the one recorded last; the
-- process is the incarnation of the pid, `proc_start_ns`: a pid reused is another process,
-- whose questions name nothing of this one's); for a loopback connect to an HTTP proxy, the
-- host its first plain-HTTP request after the connect (within 30 s) asked the proxy for
-- (`curl` in Claude Code's sandbox: docs.example.test, through the sandbox's proxy on
-- 127.0.0.1:3128) — and whether it is allowed: the agent process's own traffic (its LLM calls
-- and telemetry) is, and so is anything an `allowlist` entry covers, and a loopback connect
-- with no such other host to a port a traced process listened on before in the same network
-- namespace (a local server, or a bridge such as a sandbox's to its agent: it reaches that
-- process, whose own connections are judged here on their own).
INSERT INTO net_destinations
WITH nets AS (
  SELECT a.recording, a.event_id, a.ts_ns, a.session_id, a.pid, a.op, a.addr, a.port, a.qname,
    l.attribution, l.tool_call_id,
    coalesce(a.proc_start_ns, -9223372036854775808) AS incarnation, r.net_ns
  FROM actions a
  JOIN links l USING (recording, event_table, event_id)
  -- the raw row (first_rows.sql: an event id is its rowid less its recording's first)
  JOIN first_rows() f ON f.event_table = 'net' AND f.recording = a.recording
  JOIN net r ON r.recording = a.recording AND r.rowid = a.event_id + f.first_rowid
  WHERE a.event_table = 'net' AND a.session_id IS NOT NULL
    AND (a.op = 'dns' OR (a.op = 'connect' AND a.family IN ('inet', 'inet6') AND a.port <> 53))
),
-- each process's DNS questions with a name, one per time (the one recorded last)
dns AS (
  SELECT recording, pid, coalesce(proc_start_ns, -9223372036854775808) AS incarnation, ts_ns,
    arg_max(rtrim(lower(qname), '.'), event_id) AS name
  FROM actions
  WHERE op = 'dns' AND qname IS NOT NULL AND ts_ns IS NOT NULL
  GROUP BY ALL
),
-- each process's plain-HTTP requests (read from `ipc`) naming a host that is not a loopback
-- address: through a proxy on loopback, the host it was asked for
proxied AS (
  SELECT recording, pid, request_ns,
    lower(regexp_replace(regexp_replace(host, ':[0-9]+$', ''), '^\[|\]$', '', 'g')) AS host
  FROM http_exchanges
  WHERE conn_gen = -1 AND request_ns IS NOT NULL AND host IS NOT NULL
    AND NOT regexp_matches(lower(host), '^(127\.|\[::1\]|::1$|\[::ffff:127\.|localhost(:|$))')
),
-- the process's last DNS question at or before each connect, found by ASOF JOIN (a range join on
-- the process compared each connect with every DNS question of its process: work growing with
-- the square of a process's DNS questions) and used when it is at most 5 s before
named AS (
  SELECT n.*,
    CASE WHEN n.op = 'dns' THEN rtrim(lower(n.qname), '.') ELSE coalesce(
      (SELECT min(t.host) FROM tool_terms t
        WHERE t.recording = n.recording AND t.tool_call_id = n.tool_call_id AND t.kind = 'url'
          AND t.port = n.port AND t.host <> n.addr),
      CASE WHEN d.ts_ns >= n.ts_ns - 5000000000 THEN d.name END
    ) END AS name
  FROM nets n
  ASOF LEFT JOIN dns d ON d.recording = n.recording AND d.pid = n.pid
    AND d.incarnation = n.incarnation AND n.ts_ns >= d.ts_ns
),
-- a loopback connect's proxied host: its process's first such request from the connect on
via_proxy AS (
  SELECT n.* REPLACE (coalesce(n.name, CASE WHEN p.request_ns <= n.ts_ns + 30000000000
      AND p.host <> n.addr THEN p.host END) AS name),
    p.request_ns <= n.ts_ns + 30000000000 AND p.host <> n.addr AS through_proxy
  FROM named n
  ASOF LEFT JOIN proxied p ON p.recording = n.recording AND p.pid = n.pid
    AND p.request_ns >= n.ts_ns
    AND n.op = 'connect' AND regexp_matches(n.addr, '^(127\.|::1$|::ffff:127\.)')
),
-- the traced listeners (listen succeeded) by port and network namespace (recorded since 0.5.0:
-- in older recordings no connect is exempt, as before)
listeners AS (
  SELECT recording, port, net_ns, min(ts_ns) AS ts_ns, min(pid) AS pid
  FROM net WHERE op = 'listen' AND ret = 0 AND family IN ('inet', 'inet6')
  GROUP BY ALL
),
to_listener AS (
  SELECT n.recording, n.event_id, min(s.pid) AS pid
  FROM via_proxy n
  JOIN listeners s ON s.recording = n.recording AND s.port = n.port
    AND s.net_ns = n.net_ns AND s.ts_ns <= n.ts_ns
  WHERE n.op = 'connect' AND regexp_matches(n.addr, '^(127\.|::1$|::ffff:127\.)')
    AND NOT coalesce(n.through_proxy, false)
  GROUP BY ALL
),
judged AS (
  SELECT n.*, t.pid AS listener_pid,
    (SELECT min(w.host || coalesce(':' || w.port, '') || ' (' || w.source || ')')
      FROM allowlist w
      WHERE (w.recording IS NULL OR w.recording = n.recording)
        AND (w.port IS NULL OR n.op = 'dns' OR w.port = n.port)
        AND (w.host = n.addr OR w.host = n.name
          OR (w.host LIKE '*.%' AND ends_with(n.name, substr(w.host, 2))))
    ) AS entry
  FROM via_proxy n
  LEFT JOIN to_listener t ON t.recording = n.recording AND t.event_id = n.event_id
)
SELECT recording, event_id, ts_ns, session_id, pid, op, addr, port, name, attribution,
  tool_call_id,
  attribution = 'agent' OR entry IS NOT NULL OR listener_pid IS NOT NULL AS allowed,
  CASE WHEN entry IS NOT NULL THEN entry WHEN attribution = 'agent' THEN 'the agent''s own traffic'
    WHEN listener_pid IS NOT NULL THEN 'a listener of traced process ' || listener_pid ||
      ' on this loopback (its own connections are judged apart)' END
FROM judged
ORDER BY recording, ts_ns, event_id;
