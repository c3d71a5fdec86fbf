-- problems: every problem the analysis said, by source and kind (the capture checks).
SELECT source, kind, message FROM problems
