-- mcp_http_heads: each exchange on an /mcp path, in order: HTTP version, method, request and
-- response headers as text (the remote MCP checks).
SELECT protocol, method, request_headers::VARCHAR AS req, response_headers::VARCHAR AS res
FROM http_exchanges WHERE starts_with(path, '/mcp') ORDER BY exchange_id
