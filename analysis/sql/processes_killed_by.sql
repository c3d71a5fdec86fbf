-- processes_killed_by: who killed each process that ended by a signal. A signal one traced
-- process sent another is a `privilege` row (kill, tkill, tgkill, rt_sigqueueinfo; the
-- capture leaves out those a process sends itself and signal 0). It explains an incarnation's
-- end when it succeeded, is the signal that ended it (by name: signal_name in macros.sql),
-- named its pid (kill, rt_sigqueueinfo: the pid, or -PGID of the group it leads; tkill: its
-- main thread, whose id is the pid; tgkill: the process) and was sent while it ran or within
-- 100 ms after its exit (the call's row is written when it returns, which may be after the
-- target's exit was recorded), before any later incarnation of the pid started. Of several,
-- the last sent before the exit (else the first after it). pidfd_send_signal names no pid
-- (null target_pid): it explains nothing here, nor does a group signal to a group the process
-- does not lead (its group is not recorded).
UPDATE processes p
SET killed_by_pid = k.sender, killed_by_signal = k.signal, killed_by_ns = k.ts_ns,
  killed_by_event = k.event_id
FROM (
  SELECT q.recording, q.pid, q.start_ns,
    arg_min(s.pid, (s.ts_ns > q.end_ns, abs(s.ts_ns - q.end_ns), s.rowid)) AS sender,
    arg_min(s.request, (s.ts_ns > q.end_ns, abs(s.ts_ns - q.end_ns), s.rowid)) AS signal,
    arg_min(s.ts_ns, (s.ts_ns > q.end_ns, abs(s.ts_ns - q.end_ns), s.rowid)) AS ts_ns,
    arg_min(s.rowid - f.first_rowid, (s.ts_ns > q.end_ns, abs(s.ts_ns - q.end_ns), s.rowid))
      AS event_id
  FROM processes q
  JOIN privilege s
    ON s.recording = q.recording AND signal_op(s.op) AND s.ret >= 0
    AND s.request = signal_name(q.exit_signal)
    AND (s.target_pid = q.pid OR (s.op IN ('kill', 'rt_sigqueueinfo') AND s.target_pid = -q.pid))
    AND s.ts_ns >= q.start_ns AND s.ts_ns <= q.end_ns + 100000000
  JOIN (SELECT recording, min(rowid) AS first_rowid FROM privilege GROUP BY ALL) f
    ON f.recording = s.recording
  WHERE q.exit_signal IS NOT NULL AND q.end_ns IS NOT NULL
    AND NOT EXISTS (
      SELECT 1 FROM processes n
      WHERE n.recording = q.recording AND n.pid = q.pid AND n.start_ns > q.start_ns
        AND n.start_ns <= s.ts_ns
    )
  GROUP BY q.recording, q.pid, q.start_ns
) k
WHERE k.recording = p.recording AND k.pid = p.pid AND k.start_ns = p.start_ns;
