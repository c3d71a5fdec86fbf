-- link_store: the table that holds the stored rows of the `links` view (link_rows.sql fills it,
-- the MCP steps change it), in a schema of its own, `correlate`: not one of the analysis's
-- tables (the view is), so what a reader, an export or `deno task sql` sees is the same as when
-- `links` was a table. Its columns are those of `links`.
CREATE SCHEMA IF NOT EXISTS correlate;
CREATE OR REPLACE TABLE correlate.link_rows (
  recording VARCHAR,
  event_table VARCHAR,
  event_id BIGINT,
  session_id INTEGER,
  tool_call_id BIGINT,
  attribution VARCHAR,
  signals VARCHAR[],
  confidence DOUBLE,
  matched VARCHAR
);
