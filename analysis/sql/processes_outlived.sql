-- processes_outlived: traced processes of recording $1 with process events but no recorded
-- exit, earliest first (one known only from its files or connections has none to miss, as
-- when process.arrow is lost, which is a problem of its own).
SELECT pid, comm FROM processes p
WHERE recording = $1 AND end_ns IS NULL
  AND EXISTS (SELECT 1 FROM process e WHERE e.recording = p.recording AND e.pid = p.pid)
ORDER BY start_ns NULLS FIRST, pid
