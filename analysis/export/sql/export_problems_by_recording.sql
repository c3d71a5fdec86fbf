-- export_problems_by_recording: the exported problems ($files: a Parquet export's `problems`
-- files) per recording and kind, most first, with the sources they name (parquet_source.ts
-- exportDamage).
SELECT recording, kind, count(*) AS n, list(DISTINCT source ORDER BY source) AS sources
FROM read_parquet($files, hive_partitioning = true, union_by_name = true,
  hive_types = {'capture_host': VARCHAR, 'capture_date': DATE})
GROUP BY recording, kind ORDER BY recording, n DESC, kind
