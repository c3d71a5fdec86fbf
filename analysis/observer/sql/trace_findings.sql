-- trace_findings: the rule-based findings of one session ($recording, $session).
SELECT finding_id, kind, severity, explanation, evidence
FROM findings
WHERE recording = $recording AND session_id = $session
ORDER BY finding_id;
