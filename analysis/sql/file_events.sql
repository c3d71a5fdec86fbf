-- file_events: every raw `file` event with the process context from `processes` (the
-- incarnation of the pid that had started by then), whether it changed the file system
-- (`written`: the `changes_files` rule of macros.sql) and whether a sandbox runtime made it
-- while preparing its sandbox (`sandbox_setup`: before `processes.sandbox_setup_ns`).
CREATE VIEW file_events AS
SELECT f.*,
  p.exe, p.comm, p.agent, p.agent_pid, p.agent_role,
  changes_files(f.op, f.flags, f.ret, f.path, f.path2) AS written,
  coalesce(f.ts_ns < p.sandbox_setup_ns, false) AS sandbox_setup
FROM file f
ASOF LEFT JOIN processes p
  ON p.recording = f.recording AND p.pid = f.pid AND f.ts_ns >= p.start_ns;
