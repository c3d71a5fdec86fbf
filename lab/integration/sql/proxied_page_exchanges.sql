-- proxied_page_exchanges: the HTTP exchanges of pages fetched through a proxy (host under
-- .test), in order: method, host, path, status and whether the request was read whole (the
-- proxy checks: what went through an HTTPS proxy's tunnels is read as through a cleartext one).
SELECT method, host, path, status, request_complete
FROM http_exchanges
WHERE host LIKE '%.test%'
ORDER BY request_ns, exchange_id
