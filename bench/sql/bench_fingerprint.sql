-- bench_fingerprint: a declared table's row count and an order-free hash of its rows, over its
-- $columns (all of them, in declaration order) (analysis_bench.ts compares the two builds).
SELECT count(*)::VARCHAR || ' rows, hash '
  || coalesce(sum(hash(*COLUMNS(c -> list_contains($columns, c)))), 0)::VARCHAR AS fingerprint
FROM {{table}}
