-- process_agents: the agent tree is walked once, by lineage.sql; each descendant incarnation
-- in `processes` takes its session's agent and agent process from it, and is `sandboxed` when
-- its network or mount namespace is not the agent process's (null when either is unknown).
UPDATE processes p
SET agent = a.agent, agent_pid = l.session_id, agent_role = 'descendant',
  sandboxed = p.net_ns <> a.net_ns OR p.mnt_ns <> a.mnt_ns
FROM lineage l
JOIN processes a
  ON a.recording = l.recording AND a.pid = l.session_id AND a.agent_role = 'agent'
WHERE l.recording = p.recording AND l.pid = p.pid AND l.start_ns IS NOT DISTINCT FROM p.start_ns
  AND l.role = 'descendant';

-- A sandboxed process whose namespaces are not its parent's (the incarnation of its ppid
-- that had started by its own start) entered the sandbox: until the first program runs in it
-- (its own first exec, or its first child's: bubblewrap's init forks the command) it runs the
-- sandbox runtime's code, which prepares the sandbox's file system. One that never runs a
-- program there has no such time: its writes are its own.
UPDATE processes p
SET sandbox_setup_ns = (
  SELECT min(r.ts_ns) FROM process r
  WHERE r.recording = p.recording AND r.kind = 'exec' AND r.ts_ns >= p.start_ns
    AND (
      (r.pid = p.pid AND r.ts_ns <= coalesce(p.end_ns, 9223372036854775807))
      OR r.pid IN (
        SELECT c.pid FROM processes c
        WHERE c.recording = p.recording AND c.ppid = p.pid AND c.start_ns >= p.start_ns
          AND c.start_ns <= coalesce(p.end_ns, 9223372036854775807)
      )
    )
)
WHERE p.sandboxed AND EXISTS (
  SELECT 1 FROM (
    SELECT arg_max(q.net_ns, q.start_ns) AS net_ns, arg_max(q.mnt_ns, q.start_ns) AS mnt_ns
    FROM processes q
    WHERE q.recording = p.recording AND q.pid = p.ppid AND q.start_ns <= p.start_ns
  ) parent
  WHERE parent.net_ns <> p.net_ns OR parent.mnt_ns <> p.mnt_ns
);
