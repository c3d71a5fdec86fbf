-- sql_steps_reset: a copy of an analysed database with what the timed build steps make taken
-- out again (processes, the event views and process_programs), so that sql_steps.ts can time them.
DELETE FROM processes;
DROP VIEW IF EXISTS file_events;
DROP VIEW IF EXISTS net_events;
DROP VIEW IF EXISTS process_programs;
