-- summary_agents: where each agent of a recording ($recording) spent its time.
SELECT session_id, agent, wall_ms, busy_ms, blocked_ms, waiting_ms, blocked_share, waits,
  retry_cycles
FROM agent_activity WHERE recording = $recording ORDER BY session_id;
