-- mcp_tool_links: the LLM tool call that caused each `tools/call`. Each agent names an MCP tool
-- its own way (Claude Code `mcp__SERVER__TOOL`, Gemini CLI `mcp_SERVER_TOOL` or `SERVER__TOOL`,
-- Codex the bare TOOL in namespace `mcp__SERVER`, with characters outside letters, digits and
-- `_` made `_`; Qwen Code 0.24 calls hidden ones through its bridge `tool_call`, whose input is
-- the tool's `name`, `mcp__SERVER__TOOL`, and its `arguments`, read here as that call; GitHub
-- Copilot CLI `SERVER-TOOL`): a candidate's name is the MCP tool's name (or that rewriting of
-- it) or ends with it after a separator (`_`, `-`, `.`, `:` or `/`: what joins a server's name
-- to its tool's), and the MCP call starts inside its window in the same session. Of
-- several candidates, one with equal arguments wins, then the latest window; each LLM tool call
-- causes at most one MCP call (the first after its window opened that it matches).
INSERT INTO mcp_tool_links
WITH calls AS (
  SELECT recording, mcp_call_id, session_id, tool, arguments, start_ns, start_ns AS at_ns,
    regexp_replace(tool, '[^A-Za-z0-9_]', '_', 'g') AS safe
  FROM mcp_calls
  WHERE method = 'tools/call' AND tool IS NOT NULL
),
-- the tool calls whose window holds the MCP call's start (in_tool_window in macros.sql)
in_window AS (FROM in_tool_window('calls')),
-- each tool call as the tool it runs: a bridge call as the tool it names
tools AS (
  SELECT recording, tool_call_id,
    CASE WHEN bridged THEN json_extract_string(input, '$.name') ELSE name END AS name,
    CASE WHEN bridged THEN json_extract(input, '$.arguments')::VARCHAR ELSE input END AS input
  FROM (
    -- json() refuses text JSON.parse took (a lone surrogate): only valid JSON is looked into
    SELECT *, CASE WHEN name = 'tool_call' AND json_valid(input)
      THEN coalesce(json_type(json(input), '$.name') = 'VARCHAR'
        AND json_type(json(input), '$.arguments') = 'OBJECT', false)
      ELSE false END AS bridged
    FROM tool_calls
  )
),
cand AS (
  SELECT m.recording, m.mcp_call_id, t.tool_call_id, m.win_start AS start_ns,
    CASE
      WHEN t.name IN (m.tool, m.safe) THEN NULL
      ELSE regexp_replace(left(t.name, length(t.name) - length(m.tool) - 1), '^mcp_+|[-_.:/]+$',
        '', 'g')
    END AS server_alias,
    CASE WHEN json_valid(t.input) AND json_valid(m.arguments)
      THEN coalesce(json(t.input) = json(m.arguments), false) ELSE false END AS arguments_equal
  FROM in_window m
  JOIN tools t ON t.recording = m.recording AND t.tool_call_id = m.tool_call_id
  WHERE t.name IN (m.tool, m.safe)
    OR (ends_with(t.name, m.tool) AND length(t.name) > length(m.tool)
      AND substr(t.name, length(t.name) - length(m.tool), 1) IN ('_', '-', '.', ':', '/'))
    OR ends_with(t.name, '_' || m.safe)
),
best AS (
  SELECT *, row_number() OVER (PARTITION BY recording, mcp_call_id
    ORDER BY arguments_equal DESC, start_ns DESC, tool_call_id DESC) AS n
  FROM cand
),
once AS (
  SELECT *, row_number() OVER (PARTITION BY recording, tool_call_id
    ORDER BY arguments_equal DESC, mcp_call_id) AS k
  FROM best WHERE n = 1
)
SELECT recording, mcp_call_id, tool_call_id, server_alias, arguments_equal
FROM once WHERE k = 1
ORDER BY recording, mcp_call_id;
