-- problems_clear_sources: removes the problems an earlier run of these steps or tables
-- ($sources) left.
DELETE FROM problems WHERE list_contains($sources, source)
