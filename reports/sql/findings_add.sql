-- findings_add: one finding, as the detectors would write it, in the recording's `findings`
-- table (reports/testing.ts addFindings: a report of given findings); $evidence is its ids
-- joined by commas.
INSERT INTO findings (recording, finding_id, kind, severity, start_ns, end_ns, evidence,
  explanation, details)
SELECT recording, $id, $kind, $severity, $start, $end, string_split($evidence, ','),
  $explanation, $details
FROM recordings
