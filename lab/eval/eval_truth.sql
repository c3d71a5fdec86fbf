-- eval_truth: the links a scenario's script implies, computed from kernel facts and the LLM
-- calls without the correlator's heuristics. `eval_markers` says which marker the n-th tool
-- call of a session names and how it acts (run, read, write). The truth of a tool call is
--   (a) every event of the processes descending from (and including) each process started
--       between the request of the answer that asked for it and the request that carried its
--       result back, whose exec argv holds the marker — the command's process tree
--       (`eval_incarnations.sql`);
--   (b) the events within that same span of the processes on the way to such a process from
--       one the agent started within the span (the shell the command was typed into, a
--       wrapper): only within the span, since a shell can outlive its call and take the next
--       calls' commands (a persistent shell), and none of their other descendants;
--   (c) for read and write actions, the agent process's own file events on a path holding
--       the marker within the same span (tools the agent runs in-process).
INSERT INTO eval_truth
WITH
calls AS (
  SELECT t.recording, c.pid AS session_id, t.tool_call_id, c.request_ns AS asked_ns,
    coalesce(t.result_ns, 9223372036854775807) AS until_ns, t.input::VARCHAR AS input,
    row_number() OVER (PARTITION BY t.recording, c.pid ORDER BY t.tool_call_id) AS tool_index
  FROM tool_calls t
  JOIN llm_calls c ON c.recording = t.recording AND c.llm_call_id = t.llm_call_id
),
marked AS (
  SELECT c.*, m.marker, m.action
  FROM calls c
  JOIN eval_markers m ON m.recording = c.recording AND m.tool_index = c.tool_index
  WHERE contains(c.input, m.marker)
),
execs AS (
  SELECT x.recording, x.pid, i.start_ns, array_to_string(x.argv, ' ') AS line
  FROM process x
  ASOF JOIN eval_incarnations i ON i.recording = x.recording AND i.pid = x.pid AND x.ts_ns >= i.start_ns
  WHERE x.kind = 'exec'
),
roots AS (
  SELECT DISTINCT m.recording, m.tool_call_id, i.pid, i.start_ns
  FROM marked m
  JOIN eval_incarnations i
    ON i.recording = m.recording AND i.agent_pid = m.session_id AND i.pid <> m.session_id
    AND i.start_ns BETWEEN m.asked_ns AND m.until_ns
  JOIN execs e ON e.recording = i.recording AND e.pid = i.pid AND e.start_ns = i.start_ns
  WHERE contains(e.line, m.marker)
),
-- the processes the agent started within the same span that lead to such a process, and
-- those between them and it: the command's shell when the command reaches it on its terminal
-- or stdin, not its argv (GitHub Copilot CLI 1.0.12 starts `bash --norc --noprofile` per
-- command and types it in), or a wrapper the command runs under
ways AS (
  SELECT DISTINCT m.recording, m.tool_call_id, m.asked_ns, m.until_ns, w.pid, w.start_ns
  FROM marked m
  JOIN eval_incarnations i
    ON i.recording = m.recording AND i.agent_pid = m.session_id AND i.pid <> m.session_id
    AND i.start_ns BETWEEN m.asked_ns AND m.until_ns
  JOIN eval_descent w ON w.recording = i.recording AND w.root_pid = i.pid
    AND w.root_start_ns = i.start_ns
  JOIN eval_descent d ON d.recording = w.recording AND d.root_pid = w.pid
    AND d.root_start_ns IS NOT DISTINCT FROM w.start_ns
  JOIN roots r ON r.recording = m.recording AND r.tool_call_id = m.tool_call_id
    AND r.pid = d.pid AND r.start_ns = d.start_ns
  WHERE NOT (w.pid = r.pid AND w.start_ns IS NOT DISTINCT FROM r.start_ns)
),
tree AS (
  SELECT DISTINCT r.recording, r.tool_call_id, d.pid, d.start_ns
  FROM roots r
  JOIN eval_descent d ON d.recording = r.recording AND d.root_pid = r.pid
    AND d.root_start_ns = r.start_ns
),
events AS (
  SELECT a.recording, a.event_table, a.event_id, a.pid, a.ts_ns, a.path, a.path2,
    i.start_ns AS proc_start_ns
  FROM actions a
  ASOF LEFT JOIN eval_incarnations i ON i.recording = a.recording AND i.pid = a.pid AND a.ts_ns >= i.start_ns
)
SELECT DISTINCT t.recording, t.tool_call_id, e.event_table, e.event_id
FROM tree t
JOIN events e ON e.recording = t.recording AND e.pid = t.pid AND e.proc_start_ns = t.start_ns
UNION
SELECT w.recording, w.tool_call_id, e.event_table, e.event_id
FROM ways w
JOIN events e ON e.recording = w.recording AND e.pid = w.pid AND e.proc_start_ns = w.start_ns
  AND e.ts_ns BETWEEN w.asked_ns AND w.until_ns
UNION
SELECT m.recording, m.tool_call_id, e.event_table, e.event_id
FROM marked m
JOIN events e
  ON e.recording = m.recording AND e.pid = m.session_id AND e.event_table = 'file'
  AND e.ts_ns BETWEEN m.asked_ns AND m.until_ns
  AND (contains(e.path, m.marker) OR contains(coalesce(e.path2, ''), m.marker))
WHERE m.action IN ('read', 'write');
