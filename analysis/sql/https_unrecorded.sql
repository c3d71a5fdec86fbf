-- https_unrecorded: the traced processes of recording $1 that connected to port 443 (HTTPS) and
-- of which no TLS call was recorded at all, first connected first: their TLS went through a
-- library the capture did not hook (GitHub Copilot CLI's model calls came from a Node addon
-- with its own OpenSSL, never hooked before: its connects were all the recording held), or no
-- TLS session began. With how often, to how many addresses, the first address and its process
-- name. A connect that failed at once (other than EINPROGRESS, -115: non-blocking sockets
-- connect so) is not counted; nor a port a traced process listened on (or bound, or accepted
-- on): a server the capture saw.
SELECT a.pid, arg_min(p.comm, a.ts_ns) AS comm, arg_min(a.addr, a.ts_ns) AS addr,
  count(*) AS connects, count(DISTINCT a.addr) AS addrs
FROM actions a
LEFT JOIN processes p ON p.recording = a.recording AND p.pid = a.pid
WHERE a.recording = $1 AND a.event_table = 'net' AND a.op = 'connect'
  AND a.family IN ('inet', 'inet6') AND a.port = 443
  AND (a.ret >= 0 OR a.ret = -115)
  AND NOT EXISTS (SELECT 1 FROM tls t WHERE t.recording = $1 AND t.pid = a.pid)
  AND NOT EXISTS (
    SELECT 1 FROM net s WHERE s.recording = $1 AND s.op IN ('bind', 'listen', 'accept')
      AND s.ret >= 0 AND coalesce(s.local_port, s.port) = 443
  )
GROUP BY a.pid
ORDER BY min(a.ts_ns), a.pid
