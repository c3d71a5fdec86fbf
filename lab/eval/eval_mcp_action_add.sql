-- eval_mcp_action_add: the scenario's MCP action $action_index for $recording: its server,
-- the server's command, its tool and the marker it names (mcp_eval.ts).
INSERT INTO eval_mcp_actions (recording, action_index, server, command, tool, marker)
VALUES ($recording, $action_index, $server, $command, $tool, $marker)
