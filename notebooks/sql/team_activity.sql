-- team_activity: where each session's wall-clock time went (agent_activity), with its agent
-- and the prompt it was given (sessions).
SELECT a.session_id, a.agent, left(s.prompt, 80) AS prompt, round(a.wall_ms) AS wall_ms,
  round(a.model_ms) AS model_ms, round(a.tool_ms) AS tool_ms, round(a.blocked_ms) AS blocked_ms,
  round(a.busy_ms) AS busy_ms, round(a.waiting_ms) AS waiting_ms,
  round(100 * a.blocked_share, 1) AS blocked_pct, a.waits, a.retry_cycles
FROM agent_activity a
LEFT JOIN sessions s USING (recording, session_id)
ORDER BY s.start_ns, a.session_id;
