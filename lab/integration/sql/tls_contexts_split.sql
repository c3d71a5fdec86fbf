-- tls_contexts_split: per-direction TLS contexts (rustls) whose records are on more than one
-- connection of their process, with how many connections and records (the long-session
-- checks: one WebSocket, so each context is on it alone).
SELECT pid, ctx_id, count(DISTINCT (conn_id, conn_gen)) AS connections, count(*) AS records
FROM tls
WHERE ctx_id IS NOT NULL
GROUP BY recording, pid, ctx_id
HAVING count(DISTINCT (conn_id, conn_gen)) > 1
ORDER BY pid, ctx_id
