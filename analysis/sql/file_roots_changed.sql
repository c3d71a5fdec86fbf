-- file_roots_changed: the processes of recording $1 that changed their root directory
-- (chroot succeeded), earliest first: pid, its program's name, the first new root (from the
-- top of the mount namespace) and how many times.
SELECT pid, arg_min(comm, ts_ns) AS comm, arg_min(path, ts_ns) AS root, count(*) AS n
FROM file_events
WHERE recording = $1 AND op = 'chroot' AND ret = 0
GROUP BY pid
ORDER BY min(ts_ns), pid
