-- report_tool_outcomes: how the command of each tool call ended by the kernel's evidence
-- (`tool_outcomes`, made by correlation), for the tool calls `report_tool_calls` lists: the
-- first $limit by id.
SELECT tool_call_id, outcome, failed, killed_by_pid
FROM tool_outcomes
ORDER BY tool_call_id
LIMIT $limit;
