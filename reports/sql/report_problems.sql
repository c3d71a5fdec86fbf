-- report_problems: what could not be read, was lost or left out (analysis problems), in the
-- order the analysis found them; $limit caps the rows and `total` says how many there are.
SELECT source, kind, message, count(*) OVER () AS total
FROM (SELECT *, rowid AS n FROM problems)
ORDER BY n
LIMIT $limit;
