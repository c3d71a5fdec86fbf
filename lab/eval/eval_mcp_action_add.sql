-- eval_mcp_action_add: the scenario's MCP action $action_index for $recording: its server,
-- the server's command, its tool, the names an agent may give it and the marker it names
-- (mcp_eval.ts).
INSERT INTO eval_mcp_actions (recording, action_index, server, command, tool, names, marker)
VALUES ($recording, $action_index, $server, $command, $tool, $names, $marker)
