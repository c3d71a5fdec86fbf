-- net_events: every raw `net` event (connects, DNS questions) with its process context.
CREATE VIEW net_events AS
SELECT n.*, p.exe, p.comm, p.agent, p.agent_pid, p.agent_role
FROM net n
ASOF LEFT JOIN processes p
  ON p.recording = n.recording AND p.pid = n.pid AND n.ts_ns >= p.start_ns;
