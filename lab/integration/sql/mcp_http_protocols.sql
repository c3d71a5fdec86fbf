-- mcp_http_protocols: the HTTP versions the exchanges on /mcp paths spoke (the MCP checks:
-- a front offering h2).
SELECT DISTINCT protocol FROM http_exchanges WHERE starts_with(path, '/mcp') ORDER BY protocol
