-- export_table_lists: the tables each recording's export wrote, as its `recordings` file
-- ($files) records them in its Parquet key-value metadata under $key (parquet.ts TABLES_KEY;
-- parquet_source.ts exportedTableLists). Files without it have no row.
SELECT file_name, decode(value) AS value
FROM parquet_kv_metadata($files)
WHERE decode(key) = $key
