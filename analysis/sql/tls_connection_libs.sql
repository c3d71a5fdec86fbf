-- tls_connection_libs: each connection's TLS library, that of its first call (tls_stream.ts).
SELECT pid, conn_id, conn_gen, arg_min(lib, rowid) FROM {{table}} GROUP BY ALL
