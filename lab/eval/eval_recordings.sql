-- eval_recordings: the recordings of an analysed database that have sessions, each scored
-- against the scenario (eval.ts, mcp_eval.ts).
SELECT DISTINCT recording FROM sessions ORDER BY 1
