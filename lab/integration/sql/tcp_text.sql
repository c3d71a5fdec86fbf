-- tcp_text: what processes $pids (their numbers, as text) wrote and read on TCP sockets, as
-- text (bytes that are no UTF-8 replaced), in time order (the proxy checks: each CONNECT and
-- its 200, the requests sent through it).
SELECT direction, decode(data, 'replace') AS text FROM ipc
WHERE kind = 'tcp' AND list_contains($pids::BIGINT[], pid)
ORDER BY ts_ns
