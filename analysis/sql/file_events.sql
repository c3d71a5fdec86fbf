-- file_events: every raw `file` event with the process context from `processes` (the
-- incarnation of the pid that had started by then) and whether it changed the file system
-- (`written`; device and kernel pseudo-files under /dev, /proc and /sys do not count).
CREATE VIEW file_events AS
SELECT f.*,
  p.exe, p.comm, p.agent, p.agent_pid, p.agent_role,
  f.ret >= 0 AND NOT regexp_matches(f.path, '^/(dev|proc|sys)/') AND (
    f.op IN ('unlink', 'rename', 'mkdir', 'rmdir')
    OR (f.op = 'open' AND ((f.flags & 3) <> 0 OR (f.flags & 64) <> 0 OR (f.flags & 512) <> 0))
  ) AS written
FROM file f
ASOF LEFT JOIN processes p
  ON p.recording = f.recording AND p.pid = f.pid AND f.ts_ns >= p.start_ns;
