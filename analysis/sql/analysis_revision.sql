-- analysis_revision: the stamp of the analysis that built this database, the comment of its
-- own `recordings` table (analysis_version.ts).
SELECT comment FROM duckdb_tables()
WHERE table_name = 'recordings' AND schema_name = 'main' AND database_name = current_database()
