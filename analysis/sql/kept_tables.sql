-- kept_tables: the tables of the analysis being replaced (attached as `kept`) that the new one
-- does not make (as a table or a view) and that are not the observer's labels (a user's, written with sql --write),
-- with the stamp of the revision that made it (kept_labels.ts).
SELECT k.table_name,
  (SELECT comment FROM duckdb_tables()
   WHERE database_name = 'kept' AND schema_name = 'main' AND table_name = 'recordings') AS stamp
FROM duckdb_tables() k
WHERE k.database_name = 'kept' AND k.schema_name = 'main' AND k.table_name <> 'labels'
  AND k.table_name NOT IN (
    SELECT table_name FROM duckdb_tables() WHERE database_name = current_database()
    UNION ALL
    -- one the new analysis makes as a view (links, from revision 18 on) is made, not a user's
    SELECT view_name FROM duckdb_views() WHERE database_name = current_database()
  )
ORDER BY 1
