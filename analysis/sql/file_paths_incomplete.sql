-- file_paths_incomplete: the processes of recording $1 with file actions whose path the capture
-- could not resolve whole (file.path_incomplete: a directory deeper than 40 components or
-- longer than about 3.8 KiB, or a directory descriptor it could not read), earliest first:
-- pid, its program's name, the actions, those that changed files, and the first such path.
SELECT pid, any_value(comm) AS comm, count(*) AS n, count(*) FILTER (WHERE written) AS written,
  arg_min(path, ts_ns) AS first_path
FROM file_events
WHERE recording = $1 AND path_incomplete
GROUP BY pid
ORDER BY min(ts_ns), pid
