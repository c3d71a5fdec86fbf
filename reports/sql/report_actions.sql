-- report_actions: every raw process, file and net event of the recording, numbered as
-- correlation numbers them (`event_id`: the row number in its table, in load order, from 0, as
-- in analysis/correlate/sql/actions.sql), with the process incarnation it belongs to (the one
-- of its pid that had started by then), a one-line label, and what the timeline shows it as
-- (`shown`: `exec`, `write`, `net`, or null for events the timeline leaves out). `write`
-- follows the `written` rule of analysis/sql/file_events.sql. A temporary view: the analysed
-- database is opened read-only.
CREATE OR REPLACE TEMP VIEW report_actions AS
WITH ev AS (
  SELECT 'process' AS event_table,
    row_number() OVER (ORDER BY rowid) - 1 AS event_id,
    ts_ns, pid, kind AS op,
    CASE WHEN kind = 'exec' THEN 'exec' END AS shown,
    CASE kind
      WHEN 'exec' THEN 'exec ' || coalesce(array_to_string(argv, ' '), filename, comm)
      WHEN 'fork' THEN 'fork ' || comm || ' (pid ' || pid || ' from ' || ppid || ')'
      ELSE 'exit ' || comm || coalesce(' status ' || exit_code, ' signal ' || exit_signal, '')
    END AS label
  FROM process
  UNION ALL
  SELECT 'file',
    row_number() OVER (ORDER BY rowid) - 1,
    ts_ns, pid, op,
    CASE WHEN ret >= 0 AND NOT regexp_matches(path, '^/(dev|proc|sys)/') AND (
      op IN ('unlink', 'rename', 'mkdir', 'rmdir')
      OR (op = 'open' AND ((flags & 3) <> 0 OR (flags & 64) <> 0 OR (flags & 512) <> 0))
    ) THEN 'write' END,
    op || ' ' || path || coalesce(' -> ' || path2, '') || CASE
      WHEN ret < 0 THEN ' (failed, errno ' || (-ret) || ')'
      WHEN op = 'open' AND ((flags & 3) <> 0 OR (flags & 64) <> 0 OR (flags & 512) <> 0)
        THEN ' (write)'
      WHEN op = 'open' THEN ' (read)'
      ELSE ''
    END
  FROM file
  UNION ALL
  SELECT 'net',
    row_number() OVER (ORDER BY rowid) - 1,
    ts_ns, pid, op,
    CASE WHEN op IN ('connect', 'dns') THEN 'net' END,
    CASE op
      WHEN 'dns' THEN 'dns ' || coalesce(qname, '?') || coalesce(' ' || qtype, '')
      ELSE op || ' ' || addr || CASE WHEN family = 'unix' THEN '' ELSE ':' || port END ||
        CASE WHEN ret = 0 OR ret = -115 THEN '' ELSE ' (failed, errno ' || (-ret) || ')' END
    END
  FROM net
)
SELECT ev.*, p.start_ns AS proc_start_ns
FROM ev
ASOF LEFT JOIN processes p ON p.pid = ev.pid AND ev.ts_ns >= p.start_ns;
