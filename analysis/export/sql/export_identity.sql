-- export_identity: the exported recording's name, host and start, from the attached analysis
-- (src) (parquet.ts).
SELECT recording, host, started_ns FROM src.recordings LIMIT 1
