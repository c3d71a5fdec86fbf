-- mcp_finding_evidence: each MCP finding's severity, explanation, evidence and details, with
-- the tool calls it cites as evidence, by name (the MCP checks: an unconfigured server).
SELECT f.severity, f.explanation, f.evidence, f.details::VARCHAR AS details, t.name
FROM findings f
LEFT JOIN tool_calls t ON list_contains(f.evidence, 'tool_call:' || t.tool_call_id)
WHERE f.kind LIKE 'mcp%'
