-- problems_by_kind: the analysed recording's problems per kind, most first, with the sources
-- they name (analysed_db.ts damageOf says them in one line).
SELECT kind, count(*) AS n, list(DISTINCT source ORDER BY source) AS sources
FROM problems GROUP BY kind ORDER BY n DESC, kind
