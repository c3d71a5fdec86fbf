-- tls_calls: every call of a TLS table without its bytes (their length only), by connection,
-- each connection's calls in table order (tls_stream.ts tlsConnections).
SELECT pid, conn_id, conn_gen, direction = 'write', seq, len, data IS NULL,
  octet_length(data), truncated, lost, ts_ns
FROM {{table}} ORDER BY pid, conn_id, conn_gen, rowid
