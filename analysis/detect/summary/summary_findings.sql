-- summary_findings: the findings of a recording ($recording), most severe first, with the
-- agent of their session.
SELECT f.finding_id, f.kind, f.severity, f.session_id, s.agent, f.evidence, f.explanation
FROM findings f LEFT JOIN sessions s USING (recording, session_id)
WHERE f.recording = $recording
ORDER BY list_position(['info', 'low', 'medium', 'high', 'critical'], f.severity) DESC,
  f.finding_id;
