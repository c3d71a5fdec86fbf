-- export_view_columns: the columns of view $name of the attached analysis (src), in order, as
-- its SQL makes them: what a view without a declaration is exported with (parquet.ts).
SELECT column_name, data_type AS column_type FROM duckdb_columns()
WHERE database_name = 'src' AND table_name = $name
ORDER BY column_index
