-- internet_connects: the IPv4 and IPv6 addresses and ports processes $pids (their numbers, as
-- text) connected to, DNS servers left out (the proxy checks: the proxy alone).
SELECT DISTINCT addr, port FROM net
WHERE op = 'connect' AND list_contains($pids::BIGINT[], pid) AND family IN ('inet', 'inet6')
  AND port <> 53
