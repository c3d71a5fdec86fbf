-- summary_files: files the agents' processes wrote in one recording ($1): those written by
-- tools the agent ran (its descendants) first, then the agent's own, each by first write; a
-- sandbox runtime preparing its sandbox's own file system is not counted. A path is the one the
-- event changed (`changed_paths` of macros.sql: a symlink's or link's new name, not the file it
-- points to; both ends of a rename), not a pseudo-file.
SELECT path,
  min(ts_ns) AS first_ns,
  count(*) AS writes,
  -- the program that made the first write (of writes at the same time, the first by name), as
  -- it ran then (file_events.exe: a shell that wrote a file and then exec'd `cat` wrote it as
  -- the shell); a process that had not exec'd (a subshell a shell forked: `( (cmd > f) & )`, a
  -- worker a runtime forked) is a copy of the program it was forked from, which is named and
  -- said to be a fork (`/usr/bin/bash (fork)`); its comm, which is the forking thread's name (a
  -- runtime's worker thread, `libuv-worker`), only when that program is not known
  arg_min(prog, (ts_ns, prog)) AS exe,
  bool_or(agent_role = 'descendant') AS by_tool
FROM (
  SELECT unnest(changed_paths(op, path, path2)) AS path, ts_ns, agent_role,
    coalesce(exe, comm) || CASE WHEN exe_forked THEN ' (fork)' ELSE '' END AS prog
  FROM file_events
  WHERE recording = $1 AND written AND agent_role IS NOT NULL AND NOT sandbox_setup
)
WHERE NOT pseudo_file(path)
GROUP BY path
ORDER BY by_tool DESC, first_ns, path;
