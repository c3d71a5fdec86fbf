-- file_sharing: files two sessions of a recording both touched. From each session's file
-- events (not of pseudo-files: under /dev, /proc or /sys, but /dev/shm's count; a rename
-- writes its target and removes its source, a link or symlink creates its new name):
--   waited_for        session X's opens failed with ENOENT on a path another session Y then
--                     wrote: X was polling for Y's output. Blocked from X's first failed probe
--                     to its first successful open after the last one (if within 10 s), else to
--                     its last probe.
--   contended         X's exclusive creates (mkdir, open O_CREAT|O_EXCL, link, symlink)
--                     failed with EEXIST while the path's last creator (or writer) was Y:
--                     retry cycles on a lock Y held.
--                     Blocked from the first failure to X's own successful create after the
--                     last (if within 10 s), else to its last failure.
--   read_after_write  X read a path whose last writer was Y.
--   overwrote         X wrote a path whose last writer was Y.
-- The same input gives the same rows however DuckDB scans it: of writes at the same time the
-- last recorded (highest event id) is the last writer, a probe waited for the writer session
-- with the lowest id of those that wrote first after it, and lists of events at the same time
-- go by event id.
INSERT INTO file_sharing
-- (read twice below, each time a scan of the file actions: not held)
WITH touch AS NOT MATERIALIZED (
  SELECT recording, session_id, event_id, ts_ns, path,
    CASE
      WHEN op = 'open' AND ret = -2 THEN 'probe_fail'
      WHEN (op = 'mkdir' OR (op = 'open' AND (flags & 192) = 192)) AND ret = -17 THEN 'excl_fail'
      WHEN op = 'mkdir' AND ok THEN 'create'
      WHEN op = 'open' AND ok AND (flags & 192) = 192 THEN 'create'
      WHEN op = 'open' AND ok AND written THEN 'write'
      WHEN op = 'open' AND ok THEN 'read'
      WHEN op IN ('unlink', 'rmdir', 'rename') AND ok THEN 'remove'
    END AS kind
  FROM actions
  WHERE event_table = 'file' AND session_id IS NOT NULL
  UNION ALL
  -- the new names a rename, link or symlink makes (changed_paths in macros.sql, less a
  -- rename's source, which it removes): a rename's target is written; a link's or symlink's
  -- new name is created, and a link(2) or symlink(2) failing with EEXIST is an exclusive
  -- create that failed (a lock taken with `ln`)
  SELECT recording, session_id, event_id, ts_ns, made,
    CASE WHEN op = 'rename' THEN 'write' WHEN ok THEN 'create' ELSE 'excl_fail' END
  FROM (
    SELECT *, unnest(list_filter(changed_paths(op, path, path2),
      p -> op <> 'rename' OR p <> path)) AS made
    FROM actions
    WHERE event_table = 'file' AND op IN ('rename', 'link', 'symlink') AND session_id IS NOT NULL
      AND (ok OR (op <> 'rename' AND ret = -17))
  )
),
-- the paths some session wrote: only their touches can be shared, so only those are kept (held
-- for the steps below) and tested for pseudo-files (keeping every touch cost 0.97 s of
-- operator time at 1M events, for a few thousand touches of written paths)
w AS (SELECT DISTINCT recording, path FROM touch WHERE kind IN ('write', 'create')),
t AS (
  SELECT * FROM touch SEMI JOIN w USING (recording, path)
  WHERE kind IS NOT NULL AND NOT pseudo_file(path)
),
shared AS (
  -- paths written by one session and touched by another: written, and touched by two sessions or
  -- more (not every write compared with every touch of its path by another session)
  SELECT recording, path
  FROM t
  GROUP BY recording, path
  HAVING count(DISTINCT session_id) >= 2
),
st AS (SELECT t.* FROM t JOIN shared USING (recording, path)),
sw AS (SELECT * FROM st WHERE kind IN ('write', 'create')),
-- the last writer of a path at each time it was written: an ASOF JOIN takes one row of the
-- times equal to the latest before, any one; here there is one per time, the write recorded
-- last
last_writer AS (
  SELECT recording, path, ts_ns, arg_max(session_id, event_id) AS session_id
  FROM sw
  GROUP BY recording, path, ts_ns
),
-- waited_for: a failed probe, and the first write by another session after it: for each other
-- session that wrote the path, its next write after the probe (the probes of the path and that
-- session's writes in time order, its writes first at equal times), the earliest of those
-- (joined on the path alone, every probe was compared with every write of its path: a polling
-- loop's work grew with the square of its length)
writers AS (SELECT DISTINCT recording, path, session_id FROM sw),
probe_writes AS (
  SELECT p.recording, p.path, p.session_id, p.event_id, p.ts_ns, o.session_id AS writer,
    true AS is_probe
  FROM st p
  JOIN writers o ON o.recording = p.recording AND o.path = p.path
    AND o.session_id <> p.session_id
  WHERE p.kind = 'probe_fail'
  UNION ALL
  SELECT recording, path, session_id, event_id, ts_ns, session_id, false FROM sw
),
probes AS (
  SELECT recording, path, session_id, event_id, ts_ns, writer AS other, written_ns
  FROM (
    SELECT *,
      min(CASE WHEN NOT is_probe THEN ts_ns END) OVER (PARTITION BY recording, path, writer
        ORDER BY ts_ns, is_probe ROWS BETWEEN 1 FOLLOWING AND UNBOUNDED FOLLOWING) AS written_ns
    FROM probe_writes
  )
  WHERE is_probe AND written_ns IS NOT NULL
  QUALIFY row_number() OVER (PARTITION BY recording, event_id ORDER BY written_ns, writer) = 1
),
-- contended: a failed exclusive create, and who created the path last before it
fails AS (
  SELECT f.recording, f.path, f.session_id, f.event_id, f.ts_ns, c.session_id AS other
  FROM (SELECT * FROM st WHERE kind = 'excl_fail') f
  ASOF JOIN last_writer c
    ON c.recording = f.recording AND c.path = f.path AND f.ts_ns > c.ts_ns
  WHERE c.session_id <> f.session_id
),
-- a session's failed attempts (probes, exclusive creates) on a path another session had, and
-- when it got the path itself after its last attempt: a read, write or create after a probe,
-- its own create after a failed create
attempts AS (
  SELECT 'waited_for' AS kind, recording, path, session_id, other, event_id, ts_ns FROM probes
  UNION ALL
  SELECT 'contended', recording, path, session_id, other, event_id, ts_ns FROM fails
),
tries AS (
  SELECT kind, recording, path, session_id, other, min(ts_ns) AS first_ns,
    max(ts_ns) AS last_try, count(*) AS attempts,
    list('file:' || event_id ORDER BY ts_ns, event_id) AS ev
  FROM attempts GROUP BY ALL
),
blocked AS (
  SELECT t.*,
    CASE WHEN got_ns - last_try <= 10000000000 THEN got_ns ELSE last_try END AS end_ns
  FROM (
    SELECT t.*,
      (SELECT min(s.ts_ns) FROM st s
        WHERE s.recording = t.recording AND s.path = t.path AND s.session_id = t.session_id
          AND s.ts_ns > t.last_try
          AND (s.kind = 'create' OR (t.kind = 'waited_for' AND s.kind IN ('read', 'write'))))
        AS got_ns
    FROM tries t
  ) t
),
-- reads and writes after another session's write
after_other AS (
  SELECT x.recording, x.path, x.session_id, x.event_id, x.ts_ns, x.kind, w.session_id AS other
  FROM (SELECT * FROM st WHERE kind IN ('read', 'write')) x
  ASOF JOIN last_writer w ON w.recording = x.recording AND w.path = x.path AND x.ts_ns > w.ts_ns
  WHERE w.session_id <> x.session_id
)
SELECT recording, path, kind, session_id, other, first_ns, end_ns, attempts,
  (end_ns - first_ns) / 1e6, ev[1:50]
FROM blocked
UNION ALL
SELECT recording, path, CASE kind WHEN 'read' THEN 'read_after_write' ELSE 'overwrote' END,
  session_id, other, min(ts_ns), max(ts_ns), count(*), 0,
  list('file:' || event_id ORDER BY ts_ns, event_id)[1:50]
FROM after_other
GROUP BY recording, path, kind, session_id, other
ORDER BY 1, 6, 2;
