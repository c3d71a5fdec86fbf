-- table_null_rows: the first $limit rows of a declared table with a null in one of its
-- $required columns, with their $columns (the row's key and the required ones) and n, how
-- many such rows in all.
SELECT COLUMNS(c -> list_contains($columns, c)), count(*) OVER () AS n
FROM {{table}}
WHERE rowid NOT IN (
  SELECT rowid FROM {{table}} WHERE COLUMNS(c -> list_contains($required, c)) IS NOT NULL
)
LIMIT $limit
