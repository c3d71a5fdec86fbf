-- export_present: the tables and views of the attached analysis (src) (parquet.ts).
SELECT table_name AS name FROM duckdb_tables() WHERE database_name = 'src'
UNION SELECT view_name FROM duckdb_views() WHERE database_name = 'src'
