-- proxy_guesses: per recording and kind of guess, the connects `net_destinations` named by one
-- (`name_source` `proxy_process`: a loopback connect no recorded socket is the own of, named by
-- the hosts of its process's next connection to a proxy that no other connect is tied to;
-- `proxy_tls`: a connect named by the hosts asked of an HTTPS proxy on the TLS connection whose
-- first request followed it, its process's last connect with no socket of its own before it),
-- counted once each however many hosts it was asked for, with a few of them (the first 5
-- distinct connect-host pairs, then how many more), for the one `problems` row each that says so.
SELECT recording, name_source, n,
  array_to_string(list_slice(examples, 1, 5), ', ') ||
    CASE WHEN len(examples) > 5 THEN ' and ' || (len(examples) - 5) || ' more' ELSE '' END
    AS examples
FROM (
  SELECT recording, name_source, count(DISTINCT event_id) AS n,
    list_sort(list_distinct(list('pid ' || pid || ' ' || addr || ':' || port || ' -> ' || name)))
      AS examples
  FROM net_destinations
  WHERE name_source IN ('proxy_process', 'proxy_tls')
  GROUP BY recording, name_source
)
ORDER BY recording, name_source
