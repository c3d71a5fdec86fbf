-- export_exported_recordings: host and start of the recordings exported already in the
-- `recordings` files $files (parquet.ts: another recording of the same name is refused).
SELECT host, started_ns FROM read_parquet($files)
