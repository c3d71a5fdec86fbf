-- action_rows: which raw rows are actions, defined once: every process event but a `joined`
-- row (what a process ran when the capture joined it, not something it did), and every file,
-- net and privilege event, each with its table, its rowid (its id less first_rows()' first
-- rowid: first_rows.sql) and the columns `actions` (actions.sql) gives or makes its summary of
-- (`s_*`; a net row's s_request and s_ids: a DNS answer's rcode and records). `actions` reads it, and so do the readers that need only some of its columns over
-- every action (agent_activity.sql: each pid's last event; summary_links.sql: how many
-- actions): DuckDB keeps of each branch of the union only the columns its reader reads, and
-- pushes a reader's filter into each table's scan. A table macro binds its tables when it is
-- made, as first_rows() does: correlation makes it once the raw tables are loaded.
CREATE OR REPLACE MACRO action_rows() AS TABLE
  SELECT recording, 'process' AS event_table, rowid AS row_id,
    ts_ns, pid, tid, kind AS op, filename AS path, NULL::VARCHAR AS path2,
    NULL::VARCHAR AS raw_path, NULL::BIGINT AS flags, argv, NULL::VARCHAR AS addr, NULL::INTEGER AS port,
    NULL::VARCHAR AS qname, NULL::VARCHAR AS family,
    CASE WHEN kind = 'exit' THEN coalesce(exit_code, 128 + exit_signal) END::BIGINT AS ret,
    'syscall' AS via, NULL::INTEGER AS target_pid,
    kind = 'exec' AND exe_unlinked AS from_memory,
    -- an exit by a signal (exit_code null) did not succeed
    kind <> 'exit' OR coalesce(exit_code = 0, false) AS ok,
    -- what the summary is made of, beyond the columns above
    comm AS s_comm, ppid AS s_ppid, exit_code AS s_exit_code, exit_signal AS s_exit_signal,
    exe AS s_exe, exe_unlinked AS s_exe_unlinked, NULL::INTEGER AS s_mode,
    NULL::INTEGER AS s_owner, NULL::INTEGER AS s_group, NULL::BIGINT AS s_length,
    NULL::VARCHAR AS s_qtype, NULL::VARCHAR AS s_local_addr, NULL::INTEGER AS s_local_port,
    NULL::VARCHAR AS s_request, NULL::VARCHAR[] AS s_ids, NULL::BIGINT AS s_ns
  FROM process WHERE kind <> 'joined'
  UNION ALL
  SELECT recording, 'file',
    rowid,
    ts_ns, pid, tid, op, path, path2, raw_path, flags, NULL::VARCHAR[], NULL, NULL, NULL, NULL,
    ret, via, NULL, false,
    ret >= 0,
    NULL, NULL, NULL, NULL, NULL, NULL, mode, owner, "group", length, NULL, NULL, NULL, NULL,
    NULL, NULL
  FROM file
  UNION ALL
  SELECT recording, 'net',
    rowid,
    ts_ns, pid, tid, op, NULL, NULL, NULL, NULL, NULL::VARCHAR[], addr, port, qname, family, ret,
    via, NULL, false,
    ret >= 0 OR (op = 'connect' AND ret = -115),
    NULL, NULL, NULL, NULL, NULL, NULL, NULL, NULL, NULL, NULL, qtype, local_addr, local_port,
    rcode, answers, NULL
  FROM net
  UNION ALL
  SELECT recording, 'privilege',
    rowid,
    ts_ns, pid, tid, op, NULL, NULL, NULL, NULL, NULL::VARCHAR[], NULL, NULL, NULL, NULL, ret,
    'syscall', target_pid, false,
    ret >= 0,
    NULL, NULL, NULL, NULL, NULL, NULL, NULL, NULL, NULL, NULL, NULL, NULL, NULL, request, ids,
    ns
  FROM privilege;
