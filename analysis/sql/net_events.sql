-- net_events: every raw `net` event (connects, DNS questions) with its process context, and the
-- program it was running then (`process_programs`, as file_events.sql).
CREATE VIEW net_events AS
SELECT n.*, CASE WHEN g.from_ns >= p.start_ns THEN g.exe END AS exe, p.comm, p.agent,
  p.agent_pid, p.agent_role, coalesce(g.from_ns >= p.start_ns AND g.forked, false) AS exe_forked
FROM net n
ASOF LEFT JOIN processes p
  ON p.recording = n.recording AND p.pid = n.pid AND n.ts_ns >= p.start_ns
ASOF LEFT JOIN process_programs g
  ON g.recording = n.recording AND g.pid = n.pid AND n.ts_ns >= g.from_ns;
