-- proxy_guesses: per recording, the loopback connects `net_destinations` named by a guess
-- (`name_source` `proxy_process`: no recorded socket is the connect's own, so its process's
-- next proxied request on a connection no other connect is tied to named it), with a few of
-- them, for the one `problems` row that says so.
SELECT recording, count(*) AS n,
  string_agg(DISTINCT 'pid ' || pid || ' ' || addr || ':' || port || ' -> ' || name, ', '
    ORDER BY 'pid ' || pid || ' ' || addr || ':' || port || ' -> ' || name) AS examples
FROM net_destinations
WHERE name_source = 'proxy_process'
GROUP BY recording
ORDER BY recording
