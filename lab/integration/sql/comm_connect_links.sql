-- comm_connect_links: the TCP/IP connects made by processes named $comm, with the tool call
-- each is linked to, its address, port and result (the daemon checks: a connect inside a
-- network namespace of its own).
SELECT l.tool_call_id, a.addr, a.port, a.ok
FROM links l JOIN actions a USING (recording, event_table, event_id)
WHERE a.event_table = 'net' AND a.op = 'connect' AND a.family IN ('inet', 'inet6')
  AND a.pid IN (SELECT pid FROM processes WHERE comm = $comm)
ORDER BY a.ts_ns
