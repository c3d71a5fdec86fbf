-- report_processes: every process incarnation in start order, with the start of its parent's
-- incarnation as `lineage` places it (the one of ppid that had started by then), so pid reuse
-- cannot mix up the tree, and how many timeline events it has. $limit caps the rows; `total`
-- says how many there are.
SELECT p.pid, p.start_ns, p.ppid, l.parent_start_ns, p.comm, p.exe, p.argv, p.cwd,
  p.exec_count, p.end_ns, p.exit_code, p.exit_signal, p.killed_by_pid, p.agent, p.agent_pid,
  p.agent_role,
  p.llm_calls,
  (SELECT count(*) FROM report_actions a
    WHERE a.pid = p.pid AND a.proc_start_ns = p.start_ns AND a.shown IS NOT NULL) AS events,
  count(*) OVER () AS total
FROM processes p
LEFT JOIN lineage l ON l.recording = p.recording AND l.pid = p.pid AND l.start_ns = p.start_ns
ORDER BY p.start_ns, p.pid
LIMIT $limit;
