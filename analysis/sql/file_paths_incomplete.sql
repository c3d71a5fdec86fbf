-- file_paths_incomplete: the processes of recording $1 with file actions whose path the capture
-- could not resolve whole (file.path_incomplete: a directory deeper than 40 components or
-- longer than about 3.8 KiB, a directory descriptor it could not read, or an open for writing
-- by a descriptor's name it did not resolve, /dev/stdout or /proc/PID/fd/N) and that did not
-- fail (a /dev/fd/N whose N was not open is EBADF: it named nothing), earliest first:
-- pid, its program's name (at its first such action), the actions, those that changed files, and the first such path.
SELECT pid, arg_min(comm, ts_ns) AS comm, count(*) AS n, count(*) FILTER (WHERE written) AS written,
  arg_min(path, ts_ns) AS first_path
FROM file_events
WHERE recording = $1 AND path_incomplete AND ret >= 0
GROUP BY pid
ORDER BY min(ts_ns), pid
