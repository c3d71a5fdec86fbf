-- first_rows: the numbering of raw events, defined once. An event's id (`event_id` of
-- `actions`, `links` and findings' evidence) is its row number in its recording's rows of its
-- table (process, file, net, privilege), in load order. The raw tables are appended in load
-- order and never deleted from, so that is its rowid less the first rowid of its recording in
-- its table: `rowid - first_rowid`, with first_rowid from the table macro first_rows() (no
-- window over the whole table, which would hold it all in memory). A table macro binds its
-- tables when it is made, so correlation makes it first, once the raw tables are loaded;
-- `actions.sql` numbers every event with it, and detectors that read a raw table's own columns
-- find its rows' ids with it.
CREATE OR REPLACE MACRO first_rows() AS TABLE
  SELECT 'process' AS event_table, recording, min(rowid) AS first_rowid FROM process GROUP BY ALL
  UNION ALL
  SELECT 'file', recording, min(rowid) FROM file GROUP BY ALL
  UNION ALL
  SELECT 'net', recording, min(rowid) FROM net GROUP BY ALL
  UNION ALL
  SELECT 'privilege', recording, min(rowid) FROM privilege GROUP BY ALL;
