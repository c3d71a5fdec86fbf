-- tls_connection_hosts: the host and method of each HTTP exchange read from a TLS connection,
-- and a row of NULLs for a TLS connection with none (the cleartext checks: no TLS at all).
SELECT DISTINCT e.host, e.method
FROM tls t LEFT JOIN http_exchanges e
  ON e.recording = t.recording AND e.pid = t.pid AND e.conn_gen = t.conn_gen
  AND e.conn_id = t.conn_id
