-- mcp_findings: the MCP findings (kind mcp...), their severity and explanation (the MCP
-- checks).
SELECT kind, severity, explanation FROM findings WHERE kind LIKE 'mcp%' ORDER BY finding_id
