-- export_decode: reads every column of every row of Parquet file $file, to find the files
-- DuckDB cannot decode (parquet_source.ts undecodableFiles).
SELECT bit_xor(hash(COLUMNS(*))) FROM read_parquet($file)
