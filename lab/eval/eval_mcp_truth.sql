-- eval_mcp_truth: what each MCP action of the scenario (`eval_mcp_actions`) caused, from the
-- scenario, the LLM calls, the JSON-RPC and kernel facts — not from the correlator's rules
-- (no time window, no argument equality, no process lineage of `lineage`/`links`):
--   * its LLM tool call: named by one of the names the lab's scripted server knows the
--     action's tool by (`eval_mcp_actions.names`: `mcp__fs__write_file`, `mcp_fs_…`, GitHub
--     Copilot CLI's `fs-write_file`, the bare tool, hyphens made underscores for Codex; exact
--     names, not the analysis' suffix rule) and with an input naming the action's marker (or the
--     only call of that tool);
--   * its `tools/call`: the same tool, with arguments naming the marker (or the only one);
--   * its events: every file event of its server's processes (`eval_mcp_processes`) on a path
--     (or rename target) holding the action's marker, which no other action names.
INSERT INTO eval_mcp_truth
WITH
acts AS (SELECT * FROM eval_mcp_actions),
llm AS (
  SELECT a.recording, a.action_index, t.tool_call_id
  FROM acts a
  JOIN tool_calls t ON t.recording = a.recording
    AND list_contains(a.names, t.name)
    AND (a.marker IS NULL OR contains(CAST(t.input AS VARCHAR), a.marker))
),
mcp AS (
  SELECT a.recording, a.action_index, m.mcp_call_id
  FROM acts a
  JOIN mcp_calls m ON m.recording = a.recording AND m.method = 'tools/call' AND m.tool = a.tool
    AND (a.marker IS NULL OR contains(CAST(m.arguments AS VARCHAR), a.marker))
),
events AS (
  SELECT a.recording, a.event_table, a.event_id, a.pid, a.path, a.path2,
    i.start_ns AS proc_start_ns
  FROM actions a
  ASOF JOIN eval_incarnations i ON i.recording = a.recording AND i.pid = a.pid AND a.ts_ns >= i.start_ns
  WHERE a.event_table = 'file'
)
SELECT l.recording, l.action_index, l.tool_call_id, m.mcp_call_id, NULL, NULL
FROM llm l
LEFT JOIN mcp m USING (recording, action_index)
UNION ALL
SELECT l.recording, l.action_index, l.tool_call_id, NULL, e.event_table, e.event_id
FROM llm l
JOIN acts a USING (recording, action_index)
JOIN eval_mcp_processes t ON t.recording = a.recording AND t.server = a.server
JOIN events e ON e.recording = t.recording AND e.pid = t.pid AND e.proc_start_ns = t.start_ns
WHERE a.marker IS NOT NULL
  AND (contains(e.path, a.marker) OR contains(coalesce(e.path2, ''), a.marker));
