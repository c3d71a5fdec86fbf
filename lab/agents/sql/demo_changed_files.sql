-- demo_changed_files: the files an agent changed in its working directory $workdir, named
-- from there, with the process that changed each (demo.ts).
SELECT op, substr(path, length($workdir) + 2) AS path, comm AS by, ret
FROM file_events WHERE written AND starts_with(path, $workdir || '/') ORDER BY ts_ns
