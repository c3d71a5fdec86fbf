-- stack_tables_with_recording: the tables of the first recording attached (r0) that have a
-- recording column of their own (sql.ts gives the others their recording's label).
SELECT DISTINCT table_name FROM duckdb_columns()
WHERE database_name = 'r0' AND column_name = 'recording'
