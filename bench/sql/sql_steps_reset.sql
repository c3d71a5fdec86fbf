-- sql_steps_reset: a copy of an analysed database with what the timed build steps make taken
-- out again (processes, process_programs and the event views), so that sql_steps.ts can time them.
DELETE FROM processes;
DROP VIEW IF EXISTS file_events;
DROP VIEW IF EXISTS net_events;
DELETE FROM process_programs;
