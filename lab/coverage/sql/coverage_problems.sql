-- coverage_problems: every problem the analysis of a covered run said, by kind.
SELECT kind, message FROM problems ORDER BY kind, message
