-- sensitive_opened: the paths opened that some sensitive pattern may match, for
-- sensitive_reads.sql (run just before it), each path once: a recording opens the same paths
-- again and again (235K distinct paths of 8M opens at 10M events: reports/bench/analysis.md,
-- session 31). Screened with all patterns at once ($sensitive_any, their alternation: one
-- regex compiled once, where a pattern per row would be compiled per row). A temporary table,
-- so that its row count is known when sensitive_reads.sql joins every open with it: as a CTE,
-- DuckDB estimated it larger than the opens and hashed every open (807,200 at 1M events) to
-- probe a handful of paths (reports/bench/analysis.md, session 40).
CREATE OR REPLACE TEMP TABLE sensitive_opened AS
-- (the path an aggregate's result: a filter on a grouping column would be moved below the
-- grouping, onto every open)
SELECT path
FROM (SELECT any_value(path) AS path FROM file WHERE op = 'open' GROUP BY path)
WHERE regexp_matches(path, $sensitive_any)
  -- under a home the recording shows: the path as if under /root, screened with the same
  -- constant alternation (a regex from a column is compiled per row: 30 homes' patterns took
  -- 30.8 s on 235K paths); the exact match per recording is sensitive_reads.sql's
  -- path_patterns'
  OR EXISTS (
    SELECT 1 FROM recording_homes() h
    WHERE starts_with(path, h.dir || '/')
      AND regexp_matches('/root/' || substr(path, length(h.dir) + 2), $sensitive_any)
  );
