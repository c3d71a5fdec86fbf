-- eval_timing: for each tool call with ground truth, how long after the end of the answer that
-- asked for it its first action came, and how long its actions lasted — the measurements
-- behind the default temporal window: when the first action came, when the first process
-- was spawned, and when the agent process's own last action on the tool's target came.
SELECT t.recording, tc.tool_call_id, tc.name,
  (min(a.ts_ns) - tc.requested_ns) / 1e6 AS first_action_ms,
  (min(a.ts_ns) - coalesce(c.first_token_ns, c.first_byte_ns, c.request_ns)) / 1e6
    AS after_output_ms,
  (max(a.ts_ns) - min(a.ts_ns)) / 1e6 AS span_ms,
  (max(a.ts_ns) FILTER (WHERE a.role = 'agent') - tc.requested_ns) / 1e6 AS last_own_ms,
  (min(a.ts_ns) FILTER (WHERE a.role = 'descendant') - tc.requested_ns) / 1e6 AS spawn_ms,
  (tc.result_ns - tc.requested_ns) / 1e6 AS until_result_ms
FROM eval_truth t
JOIN actions a USING (recording, event_table, event_id)
JOIN tool_calls tc ON tc.recording = t.recording AND tc.tool_call_id = t.tool_call_id
JOIN llm_calls c ON c.recording = tc.recording AND c.llm_call_id = tc.llm_call_id
GROUP BY t.recording, tc.tool_call_id, tc.name, tc.requested_ns, tc.result_ns, c.first_token_ns,
  c.first_byte_ns, c.request_ns
ORDER BY t.recording, tc.tool_call_id;
