-- export_label: the exported recording's name ($recording), for the tables that have no
-- recording column of their own (parquet.ts).
CREATE TEMP TABLE export_label AS SELECT CAST($recording AS VARCHAR) AS recording
