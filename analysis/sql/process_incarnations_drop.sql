-- process_incarnations_drop: drops the working tables of process_incarnations.sql once
-- processes.sql has read them (or failed).
DROP TABLE IF EXISTS process_incarnations;
DROP TABLE IF EXISTS process_activity;
