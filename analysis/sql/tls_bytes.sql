-- tls_bytes: every call's bytes of a TLS table (`tls`), in table order (no sort),
-- with the row's id to check that order (tls_stream.ts TlsByteScratch.fill).
SELECT pid, conn_id, conn_gen, data, rowid FROM {{table}}
