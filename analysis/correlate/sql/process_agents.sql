-- process_agents: the agent tree is walked once, by lineage.sql; each descendant incarnation
-- in `processes` takes its session's agent and agent process from it.
UPDATE processes p
SET agent = a.agent, agent_pid = l.session_id, agent_role = 'descendant'
FROM lineage l
JOIN processes a
  ON a.recording = l.recording AND a.pid = l.session_id AND a.agent_role = 'agent'
WHERE l.recording = p.recording AND l.pid = p.pid AND l.start_ns IS NOT DISTINCT FROM p.start_ns
  AND l.role = 'descendant';
