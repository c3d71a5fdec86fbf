-- eval_marker_add: the marker $marker that tool call $tool_index of a session of $recording
-- names, and its action (eval.ts, from the scenario).
INSERT INTO eval_markers (recording, tool_index, marker, action)
VALUES ($recording, $tool_index, $marker, $action)
