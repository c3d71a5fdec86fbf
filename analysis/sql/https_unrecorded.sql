-- https_unrecorded: the traced processes of recording $1 that connected, or tried to, to port
-- 443 (HTTPS) over TCP and of which no TLS call was recorded at all, first connected first:
-- their TLS went through a library the capture did not hook (GitHub Copilot CLI's model calls
-- came from a Node addon with its own OpenSSL, never hooked before: its connects were all the
-- recording held), or no TLS session began. With how often, to how many addresses, the first
-- address, its process name and executable, whether all its connects went to loopback and
-- the addresses (loopback_unseen.ts leaves a process out when the loopback problem said each
-- of them as its). analyze.ts adds what manifest.json's attach section says of it and of the
-- libraries it opened (https_unrecorded_libs.sql).
-- Counted: stream sockets only (`socktype` 'stream'): a datagram socket's connect to 443 is
-- QUIC (HTTP/3, whose TLS is inside QUIC, not a TLS library's calls) or glibc's getaddrinfo
-- sorting its candidates (RFC 6724), no connection; a connect whose socket type the recording
-- does not hold (null: an older recording, or an io_uring connect on a registered file) is
-- not counted either. A connect that failed at once (ret < 0 other than
-- EINPROGRESS, -115: non-blocking sockets connect so) is not counted; one that returned
-- EINPROGRESS and failed later (refused, or timed out behind a firewall) cannot be told from one
-- that connected: no socket state is recorded. Nor a connect to an address a traced process
-- listened on, bound or accepted on at port 443 (a server the capture saw): that address, or
-- any address for a wildcard one (0.0.0.0, ::) when the connect went to a loopback address.
-- Nor a relay: a process that accepted, before its connect, a TCP connection another traced
-- process made to it, of which TLS was recorded (a sandbox's or CONNECT proxy, socat): it
-- carries that client's TLS, recorded under the client's pid; a relay whose clients' TLS went
-- unrecorded too is still named (a front end handing its prompts to a back end on loopback).
-- Addresses are compared without the `::ffff:` of an IPv4 peer of a dual-stack socket (a
-- server listening on `::`, as Node's and Go's do by default), and within one network
-- namespace where both sides' are known. Not told apart: a process that connected and left
-- the TLS to a child it forked.
WITH counted AS (
  SELECT a.pid, a.ts_ns, regexp_replace(a.addr, '^::ffff:', '') AS addr, a.net_ns
  FROM net a
  WHERE a.recording = $1 AND a.op = 'connect'
    AND a.family IN ('inet', 'inet6') AND a.port = 443 AND a.socktype = 'stream'
    AND (a.ret >= 0 OR a.ret = -115)
    AND NOT EXISTS (SELECT 1 FROM tls t WHERE t.recording = $1 AND t.pid = a.pid)
),
servers AS (
  -- the addresses traced processes served port 443 on
  SELECT regexp_replace(CASE WHEN s.op = 'accept' THEN s.local_addr ELSE s.addr END,
      '^::ffff:', '') AS server, s.net_ns
  FROM net s
  WHERE s.recording = $1 AND s.op IN ('bind', 'listen', 'accept') AND s.ret >= 0
    AND s.family IN ('inet', 'inet6')
    AND CASE WHEN s.op = 'accept' THEN s.local_port ELSE coalesce(s.local_port, s.port) END
      = 443
),
relayed AS (
  -- accepts of a connection a traced process with recorded TLS made: (relay pid, when)
  SELECT r.pid, r.ts_ns, r.net_ns
  FROM net r JOIN net c ON c.recording = r.recording AND c.op = 'connect'
    AND c.pid <> r.pid AND c.socktype = 'stream' AND (c.ret >= 0 OR c.ret = -115)
    AND regexp_replace(c.addr, '^::ffff:', '') = regexp_replace(r.local_addr, '^::ffff:', '')
    AND c.port = r.local_port
    AND (c.net_ns IS NULL OR r.net_ns IS NULL OR c.net_ns = r.net_ns)
  WHERE r.recording = $1 AND r.op = 'accept' AND r.ret >= 0 AND r.socktype = 'stream'
    AND EXISTS (SELECT 1 FROM tls t WHERE t.recording = $1 AND t.pid = c.pid)
),
named AS (
  SELECT a.pid, min(a.ts_ns) AS first_ns, arg_min(a.addr, a.ts_ns) AS addr, count(*) AS connects,
    count(DISTINCT a.addr) AS addrs, bool_and(a.addr LIKE '127.%' OR a.addr = '::1') AS loopback_only,
    list(DISTINCT a.addr ORDER BY a.addr) AS addr_list
  FROM counted a
  WHERE NOT EXISTS (
      SELECT 1 FROM servers l
      WHERE (l.server = a.addr
          OR (l.server IN ('0.0.0.0', '::') AND (a.addr LIKE '127.%' OR a.addr = '::1')))
        AND (l.net_ns IS NULL OR a.net_ns IS NULL OR l.net_ns = a.net_ns)
    )
    AND NOT EXISTS (
      SELECT 1 FROM relayed r WHERE r.pid = a.pid AND r.ts_ns <= a.ts_ns
        AND (r.net_ns IS NULL OR a.net_ns IS NULL OR r.net_ns = a.net_ns)
    )
  GROUP BY a.pid
)
-- the process's name and executable: its incarnation that was running at its first such
-- connect, else any
SELECT n.pid, (
    SELECT arg_min(p.comm, CASE WHEN coalesce(p.start_ns, 0) <= n.first_ns
      AND coalesce(p.end_ns, n.first_ns) >= n.first_ns THEN 0 ELSE 1 END)
    FROM processes p WHERE p.recording = $1 AND p.pid = n.pid
  ) AS comm, n.addr, n.connects, n.addrs, coalesce((
    -- the file its last exec before then ran, as the kernel found it (the raw process table's
    -- exe: after symlinks and #!, as manifest.json's attach section names files)
    SELECT arg_max(coalesce(x.exe, x.filename), x.ts_ns)
    FROM process x WHERE x.recording = $1 AND x.pid = n.pid AND x.kind = 'exec'
      AND x.ts_ns <= n.first_ns
  ), (
    SELECT arg_min(p.exe, CASE WHEN coalesce(p.start_ns, 0) <= n.first_ns
      AND coalesce(p.end_ns, n.first_ns) >= n.first_ns THEN 0 ELSE 1 END)
    FROM processes p WHERE p.recording = $1 AND p.pid = n.pid
  )) AS exe, n.loopback_only, n.addr_list
FROM named n
ORDER BY n.first_ns, n.pid
