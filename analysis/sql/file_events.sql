-- file_events: every raw `file` event with the process context from `processes` (the
-- incarnation of the pid that had started by then), the program it was running then
-- (`process_programs`: its exec before the event, not its last one; before its first exec, the
-- program it was forked from, `exe_forked`), whether it changed the file system
-- (`written`: the `changes_files` rule of macros.sql) and whether a sandbox runtime made it
-- while preparing its sandbox (`sandbox_setup`: before `processes.sandbox_setup_ns`).
CREATE VIEW file_events AS
SELECT f.*,
  CASE WHEN g.from_ns >= p.start_ns THEN g.exe END AS exe, p.comm, p.agent, p.agent_pid, p.agent_role,
  changes_files(f.op, f.flags, f.ret, f.path, f.path2) AS written,
  coalesce(f.ts_ns < p.sandbox_setup_ns, false) AS sandbox_setup,
  coalesce(g.from_ns >= p.start_ns AND g.forked, false) AS exe_forked
FROM file f
ASOF LEFT JOIN processes p
  ON p.recording = f.recording AND p.pid = f.pid AND f.ts_ns >= p.start_ns
ASOF LEFT JOIN process_programs g
  ON g.recording = f.recording AND g.pid = f.pid AND f.ts_ns >= g.from_ns;
