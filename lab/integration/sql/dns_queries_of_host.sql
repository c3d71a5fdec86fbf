-- dns_queries_of_host: the DNS queries for $host, any case, with or without its final dot
-- (the proxy checks: only the proxy resolves the API's name).
SELECT qname FROM net WHERE op = 'dns' AND rtrim(lower(qname), '.') = $host
