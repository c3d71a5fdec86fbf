-- table_names: the tables and views a connection can see (kit/sql_runner.ts tableNames).
SELECT table_name FROM information_schema.tables
