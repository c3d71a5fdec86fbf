-- exchange_hosts_from: the hosts of HTTP exchanges that begin with $prefix (the proxy checks:
-- none is said to be with the proxy).
SELECT DISTINCT host FROM http_exchanges WHERE starts_with(host, $prefix)
