-- table_clear: empties a declared table whose load failed: it holds nothing from that step.
DELETE FROM {{table}}
