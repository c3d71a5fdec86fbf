-- actions: every raw process, file, net and privilege event with a stable id — its row number
-- in the recording's table, in load order (`first_rows.sql`: its rowid less the first rowid of
-- its recording in its table, worked out once for the four tables after their union) — and the
-- lineage of the process that did it (the incarnation of its pid that had started by then).
-- A view: nothing is stored, each reader computes the columns it reads (writing every event
-- with its texts into a table was the largest step of the findings phase, about 2.3 s of CPU
-- per million events: reports/bench/analysis.md, sessions 18 and 19). The rows are not sorted
-- (a sort of every event with its text ran out of memory at 4M events under a 1 GB limit);
-- order by ts_ns when reading. A recording's view binds its own tables: `deno task sql` stacks
-- it as it stacks a table (its stacked tables are views of the main schema, not TEMP, which
-- would come first in a recording's view as well).
CREATE OR REPLACE VIEW actions AS
WITH inc AS (
  -- each incarnation of a pid holds from its start to the next one's (a hash join on the pid
  -- with this range is much faster than an ASOF join over every event; it compares an event
  -- with every incarnation of its pid, but pids are reused only after they wrap around:
  -- reports/bench/analysis.md, session 8). Of incarnations with the same start, the last in
  -- this order holds (the others' ranges are empty), the same one on every run.
  SELECT *, lead(start_ns, 1, 9223372036854775807) OVER (
    PARTITION BY recording, pid ORDER BY start_ns, session_id, role, branch_pid, branch_start_ns
  ) AS next_start_ns
  FROM lineage
),
ev AS (
  SELECT recording, 'process' AS event_table, rowid AS row_id,
    ts_ns, pid, tid, kind AS op, filename AS path, NULL::VARCHAR AS path2,
    NULL::VARCHAR AS raw_path, NULL::BIGINT AS flags, argv, NULL::VARCHAR AS addr, NULL::INTEGER AS port,
    NULL::VARCHAR AS qname, NULL::VARCHAR AS family,
    CASE WHEN kind = 'exit' THEN coalesce(exit_code, 128 + exit_signal) END::BIGINT AS ret,
    'syscall' AS via, NULL::INTEGER AS target_pid,
    kind = 'exec' AND exe_unlinked AS from_memory,
    -- an exit by a signal (exit_code null) did not succeed
    kind <> 'exit' OR coalesce(exit_code = 0, false) AS ok,
    false AS written,
    CASE kind
      WHEN 'fork' THEN 'fork ' || comm || ' (pid ' || pid || ' from ' || ppid || ')'
      WHEN 'exec' THEN 'exec ' || coalesce(array_to_string(argv, ' '), filename, comm) ||
        CASE WHEN exe_unlinked THEN ' (from memory: ' || coalesce(exe, '?') || ')' ELSE '' END
      ELSE 'exit ' || comm || ' ' || coalesce('status ' || exit_code, 'signal ' || exit_signal, '')
    END AS summary
  FROM process
  UNION ALL
  SELECT recording, 'file',
    rowid,
    ts_ns, pid, tid, op, path, path2, raw_path, flags, NULL::VARCHAR[], NULL, NULL, NULL, NULL,
    ret, via, NULL, false,
    ret >= 0,
    changes_files(op, flags, ret, path, path2),
    -- one concat (which leaves out nulls) rather than a new string per `||`: about half the
    -- time of this expression over a million file events. op, path and mode are never null
    -- (required columns of the raw table), so the nulls left out are the optional parts'
    concat(op, ' ', path, ' -> ' || path2, CASE op
      WHEN 'chmod' THEN ' to ' || printf('%04o', mode)
      WHEN 'chown' THEN ' to ' || coalesce(owner, -1) || ':' || coalesce("group", -1)
      WHEN 'truncate' THEN ' to ' || length || ' bytes'
    END, CASE
      WHEN ret < 0 THEN ''
      WHEN op = 'open' AND opens_for_writing(flags) THEN ' (write)'
      WHEN op = 'open' THEN ' (read)'
    END)
  FROM file
  UNION ALL
  SELECT recording, 'net',
    rowid,
    ts_ns, pid, tid, op, NULL, NULL, NULL, NULL, NULL::VARCHAR[], addr, port, qname, family, ret,
    via, NULL, false,
    ret >= 0 OR (op = 'connect' AND ret = -115),
    false,
    CASE op
      WHEN 'dns' THEN 'dns ' || coalesce(qname, '?') || coalesce(' ' || qtype, '')
      ELSE op || ' ' || addr || CASE WHEN family = 'unix' THEN '' ELSE ':' || port END ||
        CASE
          WHEN op = 'accept' AND local_port IS NOT NULL
            THEN ' on ' || coalesce(local_addr, '') || ':' || local_port
          WHEN op = 'bind' AND local_port IS NOT NULL AND local_port <> port
            THEN ' (got port ' || local_port || ')'
          ELSE ''
        END
    END
  FROM net
  UNION ALL
  SELECT recording, 'privilege',
    rowid,
    ts_ns, pid, tid, op, NULL, NULL, NULL, NULL, NULL::VARCHAR[], NULL, NULL, NULL, NULL, ret,
    'syscall', target_pid, false,
    ret >= 0,
    false,
    op || coalesce(' ' || request, '') || coalesce(' ' || array_to_string(ids, ' '), '') ||
      -- setns: the namespace entered, as /proc/PID/ns/* names it
      coalesce(' [' || ns || ']', '') ||
      -- kill's pid 0, -1 and -PGID name process groups
      CASE
        WHEN op IN ('kill', 'rt_sigqueueinfo') AND target_pid = 0 THEN ' to its process group'
        WHEN op IN ('kill', 'rt_sigqueueinfo') AND target_pid = -1
          THEN ' to every process it may signal'
        WHEN op IN ('kill', 'rt_sigqueueinfo') AND target_pid < -1
          THEN ' to process group ' || (-target_pid)
        ELSE coalesce(CASE WHEN op LIKE 'process_vm_%' THEN ' of' ELSE '' END || ' pid ' ||
          target_pid, '')
      END
  FROM privilege
)
SELECT e.recording, e.event_table, e.row_id - f.first_rowid AS event_id, e.ts_ns, e.pid, e.tid,
  e.op, e.path, e.path2, e.raw_path, e.flags, e.argv, e.addr, e.port, e.qname, e.family, e.ret,
  e.via, e.target_pid, e.from_memory, e.ok, e.written,
  l.session_id, coalesce(l.role, 'outside') AS role, l.branch_pid, l.branch_start_ns,
  l.start_ns AS proc_start_ns,
  -- the summary ends with a failed call's errno (a process event's ret, its exit status, is
  -- never negative) and the path it came by when not a plain system call
  e.summary ||
    CASE WHEN e.ret < 0 AND NOT e.ok THEN ' (failed, errno ' || (-e.ret) || ')' ELSE '' END ||
    CASE WHEN e.via = 'syscall' THEN '' ELSE ' via ' || e.via END AS summary
FROM ev e
JOIN first_rows() f ON f.event_table = e.event_table AND f.recording = e.recording
LEFT JOIN inc l
  ON l.recording = e.recording AND l.pid = e.pid AND e.ts_ns >= l.start_ns
  AND e.ts_ns < l.next_start_ns;
