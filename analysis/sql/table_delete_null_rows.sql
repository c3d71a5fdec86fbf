-- table_delete_null_rows: removes the rows of a declared table with a null in one of its
-- $required columns (set aside as problems first).
DELETE FROM {{table}}
WHERE rowid NOT IN (
  SELECT rowid FROM {{table}} WHERE COLUMNS(c -> list_contains($required, c)) IS NOT NULL
)
