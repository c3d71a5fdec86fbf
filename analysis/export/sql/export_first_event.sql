-- export_first_event: the time of the attached analysis' (src) first event, for a recording
-- whose manifest gave no start (parquet.ts).
SELECT min(t) AS t FROM (
  SELECT min(ts_ns) AS t FROM src.process UNION ALL SELECT min(ts_ns) FROM src.file
  UNION ALL SELECT min(ts_ns) FROM src.net UNION ALL SELECT min(ts_ns) FROM src.tls
)
