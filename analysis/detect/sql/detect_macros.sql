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
-- branch_command: the command line (argv joined by spaces) of a process incarnation.
CREATE OR REPLACE MACRO branch_command(rec, for_pid, for_start_ns) AS
  (SELECT array_to_string(l.argv, ' ') FROM lineage l
    WHERE l.recording = rec AND l.pid = for_pid AND l.start_ns = for_start_ns);
