-- table_digest: the row count of table or view $table and the MD5 of its rows' text in sorted
-- order (analysis/testing.ts tableDigests); recordings' `path` (where it was analysed) left
-- out, and the pattern files' folder $dir written from the project's root, wherever it is.
SELECT count(*) AS n,
  md5(coalesce(string_agg(replace(t::VARCHAR, $dir, '<root>/analysis/detect/'), chr(10)
    ORDER BY replace(t::VARCHAR, $dir, '<root>/analysis/detect/')), '')) AS md5
FROM (
  SELECT COLUMNS(c -> NOT ($table = 'recordings' AND c = 'path')) FROM query_table($table)
) t
