-- recording_end: how the analysed recording ended, as the analysis read its manifest
-- (analysed_db.ts compares it with the manifest now).
SELECT complete, ended_ns, exit_code FROM recordings
