-- stack_tables_everywhere: the tables and views every one of the $n recordings attached (r0,
-- r1, ...) holds (sql.ts stacks the optional ones only then).
SELECT table_name FROM (
  SELECT database_name, table_name FROM duckdb_tables()
  UNION ALL
  SELECT database_name, view_name FROM duckdb_views() WHERE NOT internal
)
WHERE database_name LIKE 'r%'
GROUP BY table_name HAVING count(DISTINCT database_name) = $n
