-- tls_contexts_split: TLS contexts (rustls's per-direction ones; an SSL*'s too) whose records
-- in one direction are on two connections at once: the records of one connection fall between
-- the first and last of the other's (the long-session checks: one WebSocket, so a context's
-- records are on it alone). A context's memory reused by a later connection, once the first is
-- done with it, gives connections one after the other, not a split.
WITH spans AS (
  SELECT recording, pid, ctx_id, direction, conn_id, conn_gen, min(ts_ns) AS first_ns,
    max(ts_ns) AS last_ns, count(*) AS records
  FROM tls
  WHERE ctx_id IS NOT NULL
  GROUP BY recording, pid, ctx_id, direction, conn_id, conn_gen
)
SELECT a.pid, a.ctx_id, a.direction, a.conn_id, a.conn_gen, a.records, b.conn_id AS other_conn_id,
  b.conn_gen AS other_conn_gen, b.records AS other_records
FROM spans a
JOIN spans b ON a.recording = b.recording AND a.pid = b.pid AND a.ctx_id = b.ctx_id
  AND a.direction = b.direction
  AND (a.conn_id < b.conn_id OR (a.conn_id = b.conn_id AND a.conn_gen < b.conn_gen))
  AND a.first_ns <= b.last_ns AND b.first_ns <= a.last_ns
ORDER BY a.pid, a.ctx_id, a.direction, a.conn_id, a.conn_gen
