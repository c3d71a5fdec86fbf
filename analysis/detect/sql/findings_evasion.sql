-- findings (listening_port, io_uring_action, process_tampering, memory_exec): a tool process
-- (a descendant of an agent) that takes a path agents have no need of and attackers use to
-- act unseen or to stay: it listens on a TCP port (a bind shell, a backdoor; high when
-- bound beyond loopback; inside a network namespace that is not its agent's, a sandbox's or a
-- container's, medium beyond that namespace's loopback (reachable only through what the
-- namespace is connected to: nothing for bubblewrap's --unshare-net, a forwarded port for a
-- container) and low on it), changes files or reaches the network through io_uring (the path
-- around syscall monitors), ptraces or writes into another process (process_vm_writev; high
-- for writes, medium for attaching or reading), or executes a file that has no name (a memfd:
-- code that never touched the disk). One finding per process branch and kind; the agent
-- process itself and processes outside every session are not concerned. Each process is
-- named by the command it ran when it acted, the branch by the one it ran at the finding's
-- start (command_at), not by their last.
INSERT INTO findings
-- A raw row's event id is as in actions.sql (first_rows.sql): its rowid less its recording's
-- first rowid in its table.
WITH raw_net AS (
  SELECT n.recording, n.rowid - f.first_rowid AS event_id, n.local_addr, n.local_port, n.net_ns
  FROM net n JOIN first_rows() f ON f.event_table = 'net' AND f.recording = n.recording
),
raw_privilege AS (
  SELECT p.recording, p.rowid - f.first_rowid AS event_id, p.request
  FROM privilege p JOIN first_rows() f ON f.event_table = 'privilege' AND f.recording = p.recording
),
acts AS (
  SELECT a.*,
    CASE
      WHEN a.event_table = 'net' AND a.op IN ('listen', 'accept') AND a.ok
        AND a.family IN ('inet', 'inet6') THEN 'listening_port'
      WHEN a.via = 'io_uring' AND ((a.event_table = 'file' AND a.written)
        OR (a.event_table = 'net' AND a.op <> 'dns')) THEN 'io_uring_action'
      -- PTRACE_TRACEME asks to be traced by the parent: it acts on no other process
      WHEN a.event_table = 'privilege' AND ((a.op = 'ptrace'
        AND coalesce(p.request, '') <> 'traceme' AND coalesce(a.target_pid, -1) <> a.pid)
        OR a.op IN ('process_vm_writev', 'process_vm_readv')) THEN 'process_tampering'
      WHEN a.event_table = 'process' AND a.from_memory THEN 'memory_exec'
    END AS kind,
    -- writes into another process (ptrace pokes and register sets, process_vm_writev)
    a.op = 'process_vm_writev' OR regexp_matches(coalesce(p.request, ''), '^(poke|set)')
      AS writes_process,
    -- the port listened on (accept: the local end)
    CASE a.op WHEN 'listen' THEN a.port WHEN 'accept' THEN n.local_port END AS local_port,
    -- in a network namespace that is not the agent's (both known): a sandbox's
    coalesce(n.net_ns <> ag.net_ns, false) AS sandboxed,
    -- bound beyond loopback
    a.op IN ('listen', 'accept') AND NOT regexp_matches(
      CASE WHEN a.op = 'accept' THEN coalesce(n.local_addr, '') ELSE coalesce(a.addr, '') END,
      '^(127\.|::1$|::ffff:127\.)') AS wide
  FROM actions a
  LEFT JOIN raw_net n
    ON a.event_table = 'net' AND n.recording = a.recording AND n.event_id = a.event_id
  LEFT JOIN raw_privilege p
    ON a.event_table = 'privilege' AND p.recording = a.recording AND p.event_id = a.event_id
  LEFT JOIN (SELECT recording, pid, any_value(net_ns) AS net_ns FROM processes
      WHERE agent_role = 'agent' GROUP BY ALL) ag
    ON ag.recording = a.recording AND ag.pid = a.session_id
  WHERE a.role = 'descendant' AND a.session_id IS NOT NULL
),
-- the command of the process that did it, when it did it
done AS (
  SELECT *,
    left(regexp_replace(coalesce(command_at(recording, pid, proc_start_ns, ts_ns), '?'), '\s+',
      ' ', 'g'), 80) AS doer
  FROM acts
  WHERE kind IS NOT NULL
),
g AS (
  SELECT recording, session_id, branch_pid, branch_start_ns, kind,
    min(ts_ns) AS start_ns, max(ts_ns) AS end_ns,
    bool_or(writes_process) AS writes_process, bool_or(wide AND NOT sandboxed) AS exposed,
    bool_or(wide) AS wide, bool_and(sandboxed) AS sandboxed,
    bool_or(ok) AS succeeded,
    list(DISTINCT pid ORDER BY pid) AS pids,
    list(DISTINCT doer ORDER BY doer) AS doers,
    list(DISTINCT target_pid ORDER BY target_pid) FILTER (WHERE target_pid IS NOT NULL)
      AS targets,
    list(DISTINCT local_port ORDER BY local_port) FILTER (WHERE local_port IS NOT NULL)
      AS ports,
    list(event_table || ':' || event_id ORDER BY ts_ns, event_table, event_id) AS ev,
    list(DISTINCT summary ORDER BY summary) AS what
  FROM done
  GROUP BY recording, session_id, branch_pid, branch_start_ns, kind
),
described AS (
  SELECT g.*,
    branch_exec_event(g.recording, g.branch_pid, g.branch_start_ns) AS exec_ev,
    command_at(g.recording, g.branch_pid, g.branch_start_ns, g.start_ns) AS cmd,
    -- the lineage of the branch's first incarnation of its lowest pid
    (SELECT array_to_string(arg_min(l.chain, l.start_ns), ' > ') FROM lineage l
      WHERE l.recording = g.recording AND l.pid = g.pids[1] AND l.branch_pid = g.branch_pid
        AND l.branch_start_ns = g.branch_start_ns) AS chain
  FROM g
)
SELECT recording,
  last_finding_id(d.recording)
    + row_number() OVER (PARTITION BY recording
      ORDER BY start_ns, kind, branch_pid, branch_start_ns, session_id),
  session_id, kind,
  CASE kind
    WHEN 'listening_port' THEN CASE WHEN exposed THEN 'high'
      WHEN sandboxed AND NOT wide THEN 'low' ELSE 'medium' END
    WHEN 'io_uring_action' THEN 'medium'
    WHEN 'process_tampering' THEN CASE WHEN writes_process AND succeeded THEN 'high' ELSE 'medium' END
    ELSE 'high'
  END,
  start_ns, end_ns,
  list_concat(CASE WHEN exec_ev IS NULL THEN [] ELSE [exec_ev] END, ev[1:20]),
  'Tool process ' || branch_pid ||
    coalesce(' (' || left(regexp_replace(cmd, '\s+', ' ', 'g'), 120) || ')', '') ||
    CASE kind
      WHEN 'listening_port' THEN ' listened for connections' ||
        CASE WHEN exposed THEN ' beyond loopback'
          WHEN sandboxed AND wide THEN ' beyond loopback inside a network namespace of its ' ||
            'own, not its agent''s (a sandbox''s or a container''s: reachable only through ' ||
            'what that namespace is connected to)'
          WHEN sandboxed THEN ' on the loopback of a network namespace of its own, not its ' ||
            'agent''s (a sandbox''s)'
          ELSE ' on loopback' END
      WHEN 'io_uring_action' THEN ' acted through io_uring, around system call monitors'
      WHEN 'process_tampering' THEN CASE WHEN writes_process THEN ' wrote into' ELSE ' attached to or read' END ||
        ' another process'
      ELSE ' executed code from memory (a file with no name)'
    END || CASE WHEN len(pids) = 1 AND pids[1] = branch_pid THEN ''
      ELSE ' (by ' || array_to_string(doers[1:3], ', ') || ')' END || ': ' ||
    array_to_string(list_transform(what[1:5], x -> left(x, 160)), '; ') ||
    CASE WHEN len(what) > 5 THEN ' and ' || (len(what) - 5) || ' more' ELSE '' END || '.',
  json_object('branch_pid', branch_pid, 'command', cmd, 'pids', pids, 'lineage', chain,
    'commands', doers, 'succeeded', succeeded, 'exposed', exposed, 'sandboxed', sandboxed,
    'ports', ports, 'targets', targets,
    'writes_process', writes_process, 'actions', what)
FROM described d
ORDER BY recording, start_ns;
