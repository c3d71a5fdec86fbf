-- actions: every action (a raw process, file, net or privilege event: `action_rows.sql`, the
-- one definition of which raw rows are actions) with a stable id — its row number
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
-- The texts (`summary`) and `written` are made after the lineage join, from the raw columns
-- carried through action_rows()' union (`s_*`): a reader that keeps only some events (a session's, a
-- descendant's) makes them only for those (made before the join, they were made for every
-- event: about 3.5 s of operator time at 10M events for findings_evasion.sql's few hundred
-- thousand descendant events: reports/bench/analysis.md, session 31).
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
)
SELECT e.recording, e.event_table, e.row_id - f.first_rowid AS event_id, e.ts_ns, e.pid, e.tid,
  e.op, e.path, e.path2, e.raw_path, e.flags, e.argv, e.addr, e.port, e.qname, e.family, e.ret,
  e.via, e.target_pid, e.from_memory, e.ok,
  CASE WHEN e.event_table = 'file'
    THEN changes_files(e.op, e.flags, e.ret, e.path, e.path2) ELSE false END AS written,
  l.session_id, coalesce(l.role, 'outside') AS role, l.branch_pid, l.branch_start_ns,
  l.start_ns AS proc_start_ns,
  CASE e.event_table
    WHEN 'process' THEN CASE e.op
      WHEN 'fork' THEN 'fork ' || e.s_comm || ' (pid ' || e.pid || ' from ' || e.s_ppid || ')'
      WHEN 'exec' THEN 'exec ' || coalesce(array_to_string(e.argv, ' '), e.path, e.s_comm) ||
        CASE WHEN e.s_exe_unlinked THEN ' (from memory: ' || coalesce(e.s_exe, '?') || ')'
          ELSE '' END
      ELSE 'exit ' || e.s_comm || ' ' ||
        coalesce('status ' || e.s_exit_code, 'signal ' || e.s_exit_signal, '')
    END
    -- one concat (which leaves out nulls) rather than a new string per `||`: about half the
    -- time of this expression over a million file events. op, path and mode are never null
    -- (required columns of the raw table), so the nulls left out are the optional parts'
    WHEN 'file' THEN concat(e.op, ' ', e.path, ' -> ' || e.path2, CASE e.op
      WHEN 'chmod' THEN ' to ' || printf('%04o', e.s_mode)
      WHEN 'chown' THEN ' to ' || coalesce(e.s_owner, -1) || ':' || coalesce(e.s_group, -1)
      WHEN 'truncate' THEN ' to ' || e.s_length || ' bytes'
    END, CASE
      WHEN e.ret < 0 THEN ''
      WHEN e.op = 'open' AND opens_for_writing(e.flags) THEN ' (write)'
      WHEN e.op = 'open' THEN ' (read)'
    END)
    WHEN 'net' THEN CASE e.op
      WHEN 'dns' THEN 'dns ' || coalesce(e.qname, '?') || coalesce(' ' || e.s_qtype, '')
      WHEN 'dns_answer' THEN 'dns answer ' || coalesce(e.qname, '?') ||
        coalesce(' ' || e.s_qtype, '') || ': ' || coalesce(e.s_request, '?') ||
        CASE WHEN len(e.s_ids) > 0 THEN ' ' || array_to_string(e.s_ids, ', ') ELSE '' END
      ELSE e.op || ' ' || e.addr || CASE WHEN e.family = 'unix' THEN '' ELSE ':' || e.port END ||
        CASE
          WHEN e.op = 'accept' AND e.s_local_port IS NOT NULL
            THEN ' on ' || coalesce(e.s_local_addr, '') || ':' || e.s_local_port
          WHEN e.op = 'bind' AND e.s_local_port IS NOT NULL AND e.s_local_port <> e.port
            THEN ' (got port ' || e.s_local_port || ')'
          ELSE ''
        END
    END
    ELSE e.op || coalesce(' ' || e.s_request, '') ||
      coalesce(' ' || array_to_string(e.s_ids, ' '), '') ||
      -- setns: the namespace entered, as /proc/PID/ns/* names it
      coalesce(' [' || e.s_ns || ']', '') ||
      -- kill's pid 0, -1 and -PGID name process groups
      CASE
        WHEN e.op IN ('kill', 'rt_sigqueueinfo') AND e.target_pid = 0 THEN ' to its process group'
        WHEN e.op IN ('kill', 'rt_sigqueueinfo') AND e.target_pid = -1
          THEN ' to every process it may signal'
        WHEN e.op IN ('kill', 'rt_sigqueueinfo') AND e.target_pid < -1
          -- widened first: the group of -2147483648 has no INTEGER (kill refuses it, ESRCH,
          -- but the call is recorded, and an overflow here failed every reader of the row)
          THEN ' to process group ' || (-(e.target_pid::BIGINT))
        ELSE coalesce(CASE WHEN e.op LIKE 'process_vm_%' THEN ' of' ELSE '' END || ' pid ' ||
          e.target_pid, '')
      END
  END ||
    -- the summary ends with a failed call's errno (a process event's ret, its exit status, is
    -- never negative) and the path it came by when not a plain system call
    CASE WHEN e.ret < 0 AND NOT e.ok THEN ' (failed, errno ' || (-e.ret) || ')' ELSE '' END ||
    CASE WHEN e.via = 'syscall' THEN '' ELSE ' via ' || e.via END AS summary
-- every action's raw row (action_rows.sql: which raw rows are actions)
FROM action_rows() e
JOIN first_rows() f ON f.event_table = e.event_table AND f.recording = e.recording
LEFT JOIN inc l
  ON l.recording = e.recording AND l.pid = e.pid AND e.ts_ns >= l.start_ns
  AND e.ts_ns < l.next_start_ns;
