-- recording_files: what the recording's table files were when the analysis read them, the
-- comment of the `recordings.recording` column (files_stamp.ts).
SELECT comment FROM duckdb_columns()
WHERE table_name = 'recordings' AND column_name = 'recording' AND schema_name = 'main'
  AND database_name = current_database()
