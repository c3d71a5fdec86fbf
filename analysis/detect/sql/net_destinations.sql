-- net_destinations: every connect (internet families, not to DNS port 53) and DNS question of
-- a session's processes, with the host name it is known by — the DNS question itself; for a
-- connect, the question whose answer (`dns_answer`, recorded since 0.5.4) its process read last
-- before it gave the connect's address (an A or AAAA record), if read in the 300 s before (the
-- answers' TTLs are not recorded: a fixed bound, so that an hours-old answer for another name
-- on a shared CDN address does not name a later connect), else the host of a URL of its
-- tool call on the same port, else the process's last DNS question in the 5 s before (of questions at the same time, the one recorded last; the
-- process is the incarnation of the pid, `proc_start_ns`: a pid reused is another process,
-- whose questions name nothing of this one's); but a connect to an HTTP proxy is named by
-- each host its own connection asked the proxy for (`proxy_requests`: absolute-form requests
-- and CONNECTs, RFC 9112 3.2; `curl` in Claude Code's sandbox: docs.example.test, through the
-- sandbox's proxy on 127.0.0.1:3128), one row each — a keep-alive connection asks for many —
-- at its first request, and each judged by that name and the port asked for alone (an
-- allowlist entry for the proxy's address, name or port does not cover what goes through it).
-- The connection is the connect's socket: the traced TCP socket (`ipc`) of the same process
-- and descriptor to the same port, first used after the connect and before that descriptor's
-- next connect, whose connection (`proxy_requests.conn_id`) carried the requests. A loopback
-- connect no recorded socket is tied to (a descriptor io_uring gave as fixed, -1) is named, as
-- a guess, by the hosts of its process's first connection to a proxy in the 30 s after it
-- that no other connect is tied to (`name_source` `proxy_process`, and a `problems` row says
-- how many) — and whether it is allowed: the agent process's own traffic (its LLM calls
-- and telemetry) is, and so is anything an `allowlist` entry covers, and a loopback connect
-- (through a proxy: a loopback host asked of it, at the port asked for) to a port a traced
-- process listened on before in the same network namespace (a local server, or a bridge such
-- as a sandbox's to its agent: it reaches that process, whose own connections are judged here
-- on their own).
INSERT INTO net_destinations
WITH nets AS (
  SELECT a.recording, a.event_id, a.ts_ns, a.session_id, a.pid, a.op, a.addr, a.port, a.qname,
    l.attribution, l.tool_call_id,
    coalesce(a.proc_start_ns, -9223372036854775808) AS incarnation, r.net_ns, r.fd
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
    arg_max(dns_name(qname), event_id) AS name
  FROM actions
  WHERE op = 'dns' AND qname IS NOT NULL AND ts_ns IS NOT NULL
  GROUP BY ALL
),
-- the addresses each process's DNS answers gave (A and AAAA records), with the question each
-- answered; of answers at the same time giving the same address, the one recorded last. An
-- AAAA of an IPv4-mapped address (`::ffff:192.0.2.7`) gives the IPv4 one, as the connect's is
-- compared
answered AS (
  SELECT a.recording, a.pid, coalesce(a.proc_start_ns, -9223372036854775808) AS incarnation,
    a.ts_ns, regexp_replace(x.rr, '^A(AAA)? (::ffff:)?', '') AS ip, arg_max(dns_name(a.qname), a.event_id) AS name
  FROM actions a
  JOIN first_rows() f ON f.event_table = 'net' AND f.recording = a.recording
  JOIN net r ON r.recording = a.recording AND r.rowid = a.event_id + f.first_rowid,
    unnest(r.answers) AS x(rr)
  WHERE a.event_table = 'net' AND a.op = 'dns_answer' AND a.qname IS NOT NULL
    AND a.ts_ns IS NOT NULL AND regexp_matches(x.rr, '^A(AAA)? ')
  GROUP BY ALL
),
-- the requests asked of an HTTP proxy (`proxy_requests`: absolute-form targets and CONNECTs,
-- RFC 9112 3.2; a request in origin form is to the server itself, whatever its Host header),
-- each connection's hosts once: the first request for each host and port
conn_hosts AS (
  SELECT recording, pid, conn_id, conn_gen, host, port, min(request_ns) AS request_ns
  FROM proxy_requests GROUP BY ALL
),
-- the traced TCP sockets (`ipc` rows of kind tcp): process, descriptor, the other end's port
-- and address, first use, and connection (the lower inode of its two ends, as the cleartext
-- reader names it: any row of either end may name the other, tcp_peers in macros.sql)
sockets AS (
  SELECT i.recording, i.pid, i.fd, i.remote_port AS port, any_value(i.remote_addr) AS addr,
    min(i.ts_ns) AS first_ns, least(i.inode, coalesce(any_value(t.peer), i.inode)) AS conn_id
  FROM ipc i
  LEFT JOIN tcp_peers('ipc') t ON t.recording = i.recording AND t.inode = i.inode
  WHERE i.kind = 'tcp' AND i.fd >= 0 AND i.remote_port IS NOT NULL
  GROUP BY i.recording, i.pid, i.fd, i.remote_port, i.inode
),
-- the process's last DNS question at or before each connect, found by ASOF JOIN (a range join on
-- the process compared each connect with every DNS question of its process: work growing with
-- the square of a process's DNS questions) and used when it is at most 5 s before
named AS (
  SELECT * EXCLUDE (tool_host, dns_name, answer_name),
    CASE WHEN op = 'dns' THEN dns_name(qname) ELSE coalesce(answer_name, tool_host, dns_name)
      END AS name,
    CASE WHEN op = 'dns' AND qname IS NOT NULL THEN 'dns'
      WHEN op = 'dns' THEN NULL
      WHEN answer_name IS NOT NULL THEN 'dns_answer'
      WHEN tool_host IS NOT NULL THEN 'tool_url'
      WHEN dns_name IS NOT NULL THEN 'dns' END AS name_source
  FROM (
    SELECT n.*,
      (SELECT min(t.host) FROM tool_terms t
        WHERE t.recording = n.recording AND t.tool_call_id = n.tool_call_id AND t.kind = 'url'
          AND t.port = n.port AND t.host <> n.addr) AS tool_host,
      CASE WHEN d.ts_ns >= n.ts_ns - 5000000000 THEN d.name END AS dns_name,
      -- an answer names the connect when read at most 300 s before it (see the top)
      CASE WHEN n.op = 'connect' AND w.ts_ns >= n.ts_ns - 300000000000 THEN w.name
        END AS answer_name
    FROM nets n
    ASOF LEFT JOIN dns d ON d.recording = n.recording AND d.pid = n.pid
      AND d.incarnation = n.incarnation AND n.ts_ns >= d.ts_ns
    -- the address as an answer gives it (a dual-stack socket's `::ffff:192.0.2.7` is an A's)
    ASOF LEFT JOIN answered w ON w.recording = n.recording AND w.pid = n.pid
      AND w.incarnation = n.incarnation AND w.ip = regexp_replace(n.addr, '^::ffff:', '')
      AND n.ts_ns >= w.ts_ns
  )
),
-- the connects, each with when its descriptor is next connected
connects AS (
  SELECT recording, event_id, pid, fd, addr, port, ts_ns,
    lead(ts_ns) OVER (PARTITION BY recording, pid, fd ORDER BY ts_ns, event_id) AS next_ns
  FROM named
  WHERE op = 'connect'
),
-- a connect's own socket: the first of its process and descriptor to its port used after it
-- (and before the descriptor's next connect), to its address when that is recorded (compared
-- without an IPv4-mapped prefix: a dual-stack socket's connect keeps `::ffff:127.0.0.1`, its
-- `ipc` rows say `127.0.0.1`)
own_socket AS (
  SELECT k.recording, k.event_id, s.conn_id
  FROM connects k
  ASOF JOIN sockets s ON s.recording = k.recording AND s.pid = k.pid AND s.fd = k.fd
    AND s.port = k.port AND s.first_ns >= k.ts_ns
  WHERE k.fd >= 0 AND (k.next_ns IS NULL OR s.first_ns < k.next_ns)
    AND (s.addr IS NULL OR s.addr = ''
      OR regexp_replace(s.addr, '^::ffff:', '') = regexp_replace(k.addr, '^::ffff:', ''))
),
-- the first request asked of a proxy on each connection no connect is tied to: what a guess
-- may use
untied AS (
  SELECT recording, pid, conn_id, min(request_ns) AS request_ns FROM conn_hosts h
  WHERE conn_gen = -1 AND NOT EXISTS (SELECT 1 FROM own_socket o
    WHERE o.recording = h.recording AND o.conn_id = h.conn_id)
  GROUP BY ALL
),
-- a TLS connection to an HTTPS proxy has no traced socket (`ipc` holds no TLS): it is tied, as
-- a guess, to its process's last connect with no socket of its own in the 30 s before its
-- first request (connect, handshake, then the request), one connection per connect
tls_tied AS (
  SELECT recording, event_id, min(conn_id) AS conn_id FROM (
    SELECT t.recording, t.conn_id, k.event_id
    FROM (SELECT recording, pid, conn_id, conn_gen, min(request_ns) AS request_ns
      FROM conn_hosts WHERE conn_gen <> -1 GROUP BY ALL) t
    ASOF JOIN (SELECT k.* FROM connects k
        WHERE NOT EXISTS (SELECT 1 FROM own_socket o
          WHERE o.recording = k.recording AND o.event_id = k.event_id)) k
      ON k.recording = t.recording AND k.pid = t.pid AND t.request_ns >= k.ts_ns
    WHERE k.ts_ns >= t.request_ns - 30000000000
  )
  GROUP BY ALL
),
-- the connection whose requests to a proxy name a connect: its own; for a loopback connect
-- with no connection of its own, its process's first untied one whose first request is in the
-- 30 s from the connect on (a guess)
proxy_conn AS (
  SELECT n.recording, n.event_id,
    coalesce(o.conn_id, t.conn_id,
      CASE WHEN p.request_ns <= n.ts_ns + 30000000000 THEN p.conn_id END) AS conn_id,
    CASE WHEN o.conn_id IS NOT NULL THEN 'proxy_connection'
      WHEN t.conn_id IS NOT NULL THEN 'proxy_tls' ELSE 'proxy_process' END AS source
  FROM named n
  LEFT JOIN own_socket o ON o.recording = n.recording AND o.event_id = n.event_id
  LEFT JOIN tls_tied t ON t.recording = n.recording AND t.event_id = n.event_id
  ASOF LEFT JOIN untied p ON p.recording = n.recording AND p.pid = n.pid
    AND p.request_ns >= n.ts_ns AND o.event_id IS NULL AND t.event_id IS NULL
    AND regexp_matches(n.addr, '^(127\.|::1$|::ffff:127\.)')
  WHERE n.op = 'connect'
),
-- a connect through an HTTP proxy: one row for each host its connection asked the proxy for
-- (`curl -x http://localhost:3128 http://allowed.test/a http://evil.test/b` reuses one
-- connection for both), named by that host, at its first request, with the port asked for;
-- before a URL of its tool call or a DNS question: those name the proxy itself (`localhost` is
-- only where the proxy listens). Any other connect or question: one row, as named
via_proxy AS (
  SELECT n.* REPLACE (
      coalesce(h.host, n.name) AS name,
      CASE WHEN h.host IS NOT NULL THEN c.source ELSE n.name_source END AS name_source,
      coalesce(h.request_ns, n.ts_ns) AS ts_ns),
    -- a DNS question has none (its port is the resolver's); a CONNECT that named none: null
    CASE WHEN h.host IS NOT NULL THEN h.port WHEN n.op = 'connect' THEN n.port END AS dest_port,
    h.host IS NOT NULL AS through_proxy
  FROM named n
  LEFT JOIN proxy_conn c ON c.recording = n.recording AND c.event_id = n.event_id
  LEFT JOIN conn_hosts h ON h.recording = c.recording AND h.conn_id = c.conn_id
    -- a TLS connection object is an address in its process: the same in another is another
    AND (h.conn_gen = -1 OR h.pid = n.pid)
),
-- the traced listeners (listen succeeded) by port and network namespace (recorded since 0.5.0:
-- in older recordings no connect is exempt, as before)
listeners AS (
  SELECT recording, port, net_ns, min(ts_ns) AS ts_ns, min(pid) AS pid
  FROM net WHERE op = 'listen' AND ret = 0 AND family IN ('inet', 'inet6')
  GROUP BY ALL
),
-- a loopback connect not through a proxy reaches the listener on its port; through a proxy, a
-- loopback host asked of it (a loopback address, `localhost` or a name under it, RFC 6761 6.3)
-- reaches the listener on the port asked for, in the connect's network namespace (a proxy on
-- this loopback shares it; one elsewhere would have to be on this machine to reach it)
to_listener AS (
  SELECT n.recording, n.event_id, n.name, n.dest_port, min(s.pid) AS pid
  FROM via_proxy n
  JOIN listeners s ON s.recording = n.recording AND s.port = n.dest_port
    AND s.net_ns = n.net_ns AND s.ts_ns <= n.ts_ns
  WHERE n.op = 'connect'
    AND CASE WHEN coalesce(n.through_proxy, false)
      THEN regexp_matches(n.name, '^(127\.|::1$|::ffff:127\.|localhost$)')
        OR ends_with(n.name, '.localhost')
      ELSE regexp_matches(n.addr, '^(127\.|::1$|::ffff:127\.)') END
  GROUP BY ALL
),
judged AS (
  SELECT n.*, t.pid AS listener_pid,
    (SELECT min(w.host || coalesce(':' || w.port, '') || ' (' || w.source || ')')
      FROM allowlist w
      WHERE (w.recording IS NULL OR w.recording = n.recording)
        -- through a proxy, the proxy's own address and port are not the destination: only
        -- the host asked of it (its name) and the port asked for are judged
        AND (w.port IS NULL OR n.op = 'dns' OR w.port = n.dest_port)
        AND ((w.host = n.addr AND NOT n.through_proxy) OR w.host = n.name
          OR (w.host LIKE '*.%' AND ends_with(n.name, substr(w.host, 2))))
    ) AS entry
  FROM via_proxy n
  LEFT JOIN to_listener t ON t.recording = n.recording AND t.event_id = n.event_id
    AND t.name IS NOT DISTINCT FROM n.name AND t.dest_port = n.dest_port
)
SELECT recording, event_id, ts_ns, session_id, pid, op, addr, port, name, name_source,
  dest_port, attribution, tool_call_id,
  attribution = 'agent' OR entry IS NOT NULL OR listener_pid IS NOT NULL AS allowed,
  CASE WHEN entry IS NOT NULL THEN entry WHEN attribution = 'agent' THEN 'the agent''s own traffic'
    WHEN listener_pid IS NOT NULL THEN 'a listener of traced process ' || listener_pid ||
      ' on this loopback (its own connections are judged apart)' END
FROM judged
ORDER BY recording, ts_ns, event_id, name;
