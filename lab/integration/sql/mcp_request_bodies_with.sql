-- mcp_request_bodies_with: of the request bodies on /mcp paths, how many contain $masked and
-- how many $clear (the remote MCP checks: a secret argument masked, never in clear).
SELECT count(*) FILTER (WHERE contains(b, $masked)) AS masked,
  count(*) FILTER (WHERE contains(b, $clear)) AS clear
FROM (
  SELECT decode(request_body) AS b FROM http_exchanges
  WHERE starts_with(path, '/mcp') AND request_body IS NOT NULL
)
