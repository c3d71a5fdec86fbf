-- https_unrecorded: the traced processes of recording $1 that connected, or tried to, to port
-- 443 (HTTPS) over TCP and of which no TLS call was recorded at all, first connected first:
-- their TLS went through a library the capture did not hook (GitHub Copilot CLI's model calls
-- came from a Node addon with its own OpenSSL, never hooked before: its connects were all the
-- recording held), or no TLS session began. With how often, to how many addresses, the first
-- address and its process name.
-- Counted: stream sockets only (`socktype` 'stream'): a datagram socket's connect to 443 is
-- QUIC (HTTP/3, whose TLS is inside QUIC, not a TLS library's calls) or glibc's getaddrinfo
-- sorting its candidates (RFC 6724), no connection; a connect whose socket type the recording
-- does not hold (null) is not counted either. A connect that failed at once (ret < 0 other than
-- EINPROGRESS, -115: non-blocking sockets connect so) is not counted; one that returned
-- EINPROGRESS and failed later (refused, or timed out behind a firewall) cannot be told from one
-- that connected: no socket state is recorded. Nor a connect to an address a traced process
-- listened on, bound or accepted on at port 443 (a server the capture saw): that address, or
-- any address for a wildcard one (0.0.0.0, ::) when the connect went to a loopback address.
-- Nor a relay: a process that accepted a TCP connection another traced process made to it (a
-- sandbox's or CONNECT proxy, socat) carries that client's TLS, recorded under the client's
-- pid. Not told apart: a process that connected and left the TLS to a child it forked.
SELECT a.pid, arg_min(p.comm, a.ts_ns) AS comm, arg_min(a.addr, a.ts_ns) AS addr,
  count(*) AS connects, count(DISTINCT a.addr) AS addrs
FROM net a
LEFT JOIN processes p ON p.recording = a.recording AND p.pid = a.pid
WHERE a.recording = $1 AND a.op = 'connect'
  AND a.family IN ('inet', 'inet6') AND a.port = 443 AND a.socktype = 'stream'
  AND (a.ret >= 0 OR a.ret = -115)
  AND NOT EXISTS (SELECT 1 FROM tls t WHERE t.recording = $1 AND t.pid = a.pid)
  AND NOT EXISTS (
    SELECT 1 FROM (
      SELECT CASE WHEN s.op = 'accept' THEN s.local_addr ELSE s.addr END AS server
      FROM net s
      WHERE s.recording = $1 AND s.op IN ('bind', 'listen', 'accept') AND s.ret >= 0
        AND s.family IN ('inet', 'inet6')
        AND CASE WHEN s.op = 'accept' THEN s.local_port ELSE coalesce(s.local_port, s.port) END
          = 443
    ) l
    WHERE l.server = a.addr
      OR (l.server IN ('0.0.0.0', '::')
        AND (a.addr LIKE '127.%' OR a.addr = '::1' OR a.addr LIKE '::ffff:127.%'))
  )
  AND NOT EXISTS (
    SELECT 1 FROM net r JOIN net c ON c.recording = r.recording AND c.op = 'connect'
      AND c.pid <> r.pid AND c.addr = r.local_addr AND c.port = r.local_port
    WHERE r.recording = $1 AND r.pid = a.pid AND r.op = 'accept' AND r.ret >= 0
      AND r.socktype = 'stream'
  )
GROUP BY a.pid
ORDER BY min(a.ts_ns), a.pid
