-- table_null_counts: how many nulls each of a declared table's $required columns holds (one
-- column each): one scan, so that a table without any is not searched for them row by row.
SELECT count(*) - count(COLUMNS(c -> list_contains($required, c))) FROM {{table}}
