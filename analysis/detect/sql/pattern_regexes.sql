-- pattern_regexes: the regexes of the loaded path patterns, sensitive then persistence, each in
-- file order, for the constant screens bound into the SQL that judges paths (pattern_screens.ts).
SELECT kind, regex, home_regex FROM (
  SELECT 'sensitive' AS kind, 0 AS k, rowid AS n, regex, home_regex FROM sensitive_patterns
  UNION ALL
  SELECT 'persistence', 1, rowid, regex, home_regex FROM persistence_patterns
)
ORDER BY k, n
