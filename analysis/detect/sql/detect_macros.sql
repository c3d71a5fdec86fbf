-- detect_macros: the rules the detectors (and the MCP detectors after them) share, each defined
-- once here; created after the detector tables, since they read `findings`, `actions` and
-- `lineage`.
--
-- last_finding_id: the highest finding id a recording has so far (0 before its first), which
-- each detector numbers its new findings after.
CREATE OR REPLACE MACRO last_finding_id(rec) AS
  coalesce((SELECT max(f.finding_id) FROM findings f WHERE f.recording = rec), 0);
-- branch_exec_event: the evidence reference (`process:<event_id>`) of the exec that started a
-- process incarnation (pid, start_ns), or null when none was recorded.
CREATE OR REPLACE MACRO branch_exec_event(rec, for_pid, for_start_ns) AS
  (SELECT 'process:' || min(a.event_id) FROM actions a
    WHERE a.recording = rec AND a.pid = for_pid
      AND a.proc_start_ns = for_start_ns AND a.op = 'exec');
-- command_at: the command line (argv joined by spaces) a process incarnation ran at a time:
-- that of its last exec by then (`process`, as `process_programs` reads it), else, before its
-- first exec, the program it is a copy of (`process_programs`); null when neither is recorded.
-- Not its last one: a shell that listened and then exec'd `./cleanup` is the shell.
CREATE OR REPLACE MACRO command_at(rec, for_pid, for_start_ns, at_ns) AS
  coalesce(
    (SELECT array_to_string(arg_max(x.argv, x.ts_ns), ' ') FROM process x
      WHERE x.recording = rec AND x.pid = for_pid AND x.kind IN ('exec', 'joined')
        AND x.ts_ns >= for_start_ns AND x.ts_ns <= at_ns),
    (SELECT arg_max(g.exe, g.from_ns) FROM process_programs g
      WHERE g.recording = rec AND g.pid = for_pid AND g.from_ns >= for_start_ns
        AND g.from_ns <= at_ns));
-- branch_command: the command line (argv joined by spaces) of a process incarnation (its
-- last: see command_at for the one at a time).
CREATE OR REPLACE MACRO branch_command(rec, for_pid, for_start_ns) AS
  (SELECT array_to_string(l.argv, ' ') FROM lineage l
    WHERE l.recording = rec AND l.pid = for_pid AND l.start_ns = for_start_ns);
