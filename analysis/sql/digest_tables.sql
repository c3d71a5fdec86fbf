-- digest_tables: the tables and views of the database's main schema, by name (analysis/testing.ts
-- tableDigests: what the goldens, the determinism test and the fuzzer compare).
SELECT DISTINCT table_name FROM information_schema.tables WHERE table_schema = 'main' ORDER BY 1
