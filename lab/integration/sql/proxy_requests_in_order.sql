-- proxy_requests_in_order: the requests asked of HTTP proxies, by connection and time (the
-- proxy checks).
SELECT conn_id, pid, method, target, host, port FROM proxy_requests
ORDER BY request_ns, conn_id, target
