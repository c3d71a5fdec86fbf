-- loopback_servers_unseen: when recording $1 has no LLM call, the servers on this machine's
-- loopback (127.0.0.0/8, ::1; not DNS) its traced processes connected to, first connected
-- first, with how often and which process first. Such a server may be an agent's own daemon
-- started before the capture (Cline 3's hub: `cline` hands each prompt to
-- `cline --cline-hub-daemon` over a WebSocket, and the hub makes the LLM calls): what it does
-- is recorded only when it is traced too. A port a traced process listened on (or bound, or
-- accepted on) is a server the capture saw: not named.
-- With the first process's executable, and whether no TLS call of it was recorded at all
-- (analyze.ts then names its files in manifest.json attach's words: the server may have been
-- the model's, reached through a TLS library not hooked).
WITH servers AS (
  SELECT a.addr, a.port, count(*) AS connects, arg_min(a.pid, a.ts_ns) AS pid,
    arg_min(p.comm, a.ts_ns) AS comm, arg_min(p.exe, a.ts_ns) AS exe, min(a.ts_ns) AS first_ns
  FROM actions a
  LEFT JOIN processes p ON p.recording = a.recording AND p.pid = a.pid
  WHERE a.recording = $1 AND a.event_table = 'net' AND a.op = 'connect'
    AND a.family IN ('inet', 'inet6') AND a.port <> 53
    AND (a.addr LIKE '127.%' OR a.addr = '::1' OR a.addr LIKE '::ffff:127.%')
    AND NOT EXISTS (SELECT 1 FROM llm_calls l WHERE l.recording = $1)
    AND NOT EXISTS (
      SELECT 1 FROM net s WHERE s.recording = $1 AND s.op IN ('bind', 'listen', 'accept')
        AND s.ret >= 0 AND coalesce(s.local_port, s.port) = a.port
    )
  GROUP BY a.addr, a.port
)
SELECT s.addr, s.port, s.connects, s.pid, s.comm, coalesce((
    -- the file its last exec before then ran, as the kernel found it (the raw process table's
    -- exe: after symlinks and #!, as manifest.json's attach section names files)
    SELECT arg_max(coalesce(x.exe, x.filename), x.ts_ns)
    FROM process x WHERE x.recording = $1 AND x.pid = s.pid AND x.kind = 'exec'
      AND x.ts_ns <= s.first_ns
  ), s.exe) AS exe,
  NOT EXISTS (SELECT 1 FROM tls t WHERE t.recording = $1 AND t.pid = s.pid) AS no_tls
FROM servers s
ORDER BY s.first_ns, s.port
