-- mcp_tool_links: the LLM tool call that caused each `tools/call`. Each agent names an MCP tool
-- its own way (Claude Code `mcp__SERVER__TOOL`, Gemini CLI `mcp_SERVER_TOOL` or `SERVER__TOOL`,
-- Codex the bare TOOL in namespace `mcp__SERVER`, with characters outside letters, digits and
-- `_` made `_`; Qwen Code 0.24 calls hidden ones through its bridge `tool_call`, whose input is
-- the tool's `name`, `mcp__SERVER__TOOL`, and its `arguments`, read here as that call; GitHub
-- Copilot CLI `SERVER-TOOL`): a name names an MCP tool when it is the tool's name (or that
-- rewriting of it) or ends with it after `_` (or `-`, Copilot's). A name names the longest MCP
-- tool of the recording (called, or listed by a server) it names: `mcp__gh__get-issue` is tool
-- `get-issue`, not `issue`. A candidate is a tool call whose name names the MCP call's tool and
-- whose window in the same session holds the MCP call's start. Of several candidates, one whose
-- server (the name's part before the tool) is the server's own name (its `serverInfo.name`)
-- wins, then one with equal arguments, then the latest window; each LLM tool call causes at
-- most one MCP call (the first after its window opened that it matches).
INSERT INTO mcp_tool_links
WITH calls AS (
  SELECT recording, mcp_call_id, session_id, tool, arguments, start_ns, start_ns AS at_ns,
    server_name
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
-- every MCP tool name of the recording, as called or as a server listed it
known AS (
  SELECT DISTINCT recording, tool, regexp_replace(tool, '[^A-Za-z0-9_]', '_', 'g') AS safe
  FROM (
    SELECT recording, tool FROM calls
    UNION ALL
    SELECT recording, name FROM mcp_tools WHERE name IS NOT NULL
  )
),
-- the MCP tools each tool call's name names (of the tool calls with an MCP call in their
-- window), the longest only
named AS (
  SELECT * FROM (
    SELECT t.recording, t.tool_call_id, t.name, t.input, k.tool,
      rank() OVER (PARTITION BY t.recording, t.tool_call_id ORDER BY length(k.tool) DESC) AS r
    FROM tools t
    SEMI JOIN in_window w ON w.recording = t.recording AND w.tool_call_id = t.tool_call_id
    JOIN known k ON k.recording = t.recording
      AND (t.name IN (k.tool, k.safe)
        OR ends_with(t.name, '_' || k.tool) OR ends_with(t.name, '-' || k.tool)
        OR ends_with(t.name, '_' || k.safe))
  )
  WHERE r = 1
),
cand AS (
  SELECT m.recording, m.mcp_call_id, t.tool_call_id, m.win_start AS start_ns, a.server_alias,
    coalesce(regexp_replace(a.server_alias, '[^A-Za-z0-9_]', '_', 'g')
      = regexp_replace(m.server_name, '[^A-Za-z0-9_]', '_', 'g'), false) AS its_server,
    CASE WHEN json_valid(t.input) AND json_valid(m.arguments)
      THEN coalesce(json(t.input) = json(m.arguments), false) ELSE false END AS arguments_equal
  FROM in_window m
  JOIN named t ON t.recording = m.recording AND t.tool_call_id = m.tool_call_id
    AND t.tool = m.tool,
  LATERAL (SELECT CASE
    WHEN t.name IN (m.tool, regexp_replace(m.tool, '[^A-Za-z0-9_]', '_', 'g')) THEN NULL
    ELSE regexp_replace(left(t.name, length(t.name) - length(m.tool) - 1), '^mcp_+|[-_]+$', '',
      'g')
    END AS server_alias) a
),
best AS (
  SELECT *, row_number() OVER (PARTITION BY recording, mcp_call_id
    ORDER BY its_server DESC, arguments_equal DESC, start_ns DESC, tool_call_id DESC) AS n
  FROM cand
),
once AS (
  SELECT *, row_number() OVER (PARTITION BY recording, tool_call_id
    ORDER BY its_server DESC, arguments_equal DESC, mcp_call_id) AS k
  FROM best WHERE n = 1
)
SELECT recording, mcp_call_id, tool_call_id, server_alias, arguments_equal
FROM once WHERE k = 1
ORDER BY recording, mcp_call_id;
