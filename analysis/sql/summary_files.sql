-- summary_files: files the agents' processes wrote in one recording ($1): those written by
-- tools the agent ran (its descendants) first, then the agent's own, each by first write; a
-- sandbox runtime preparing its sandbox's own file system is not counted. A path is the one the
-- event changed (`changed_paths` of macros.sql: a symlink's or link's new name, not the file it
-- points to; both ends of a rename), not a pseudo-file.
SELECT path,
  min(ts_ns) AS first_ns,
  count(*) AS writes,
  -- the executable of the first write (of writes at the same time, the first by name); a
  -- process that never exec'd (a subshell a shell forked: `( (cmd > f) & )`) runs the program
  -- it was forked from, named by its comm: the name of the thread that forked it, which is that
  -- program's file name (15 bytes at most) unless the thread renamed itself (a runtime's worker
  -- thread, `libuv-worker`); the nearest ancestor that did exec names the image exactly, at the
  -- cost of a walk up the lineage this summary does not make
  arg_min(coalesce(exe, comm), (ts_ns, coalesce(exe, comm))) AS exe,
  bool_or(agent_role = 'descendant') AS by_tool
FROM (
  SELECT unnest(changed_paths(op, path, path2)) AS path, ts_ns, exe, comm, agent_role
  FROM file_events
  WHERE recording = $1 AND written AND agent_role IS NOT NULL AND NOT sandbox_setup
)
WHERE NOT pseudo_file(path)
GROUP BY path
ORDER BY by_tool DESC, first_ns, path;
