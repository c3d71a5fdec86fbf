-- proxy_guesses: per recording, the loopback connects `net_destinations` named by a guess
-- (`name_source` `proxy_process`: no recorded socket is the connect's own, so the hosts of its
-- process's next connection to a proxy that no other connect is tied to named it), counted once
-- each however many hosts it was asked for, with a few of them (the first 5 distinct
-- connect-host pairs, then how many more), for the one `problems` row that says so.
SELECT recording, n,
  array_to_string(list_slice(examples, 1, 5), ', ') ||
    CASE WHEN len(examples) > 5 THEN ' and ' || (len(examples) - 5) || ' more' ELSE '' END
    AS examples
FROM (
  SELECT recording, count(DISTINCT event_id) AS n,
    list_sort(list_distinct(list('pid ' || pid || ' ' || addr || ':' || port || ' -> ' || name)))
      AS examples
  FROM net_destinations
  WHERE name_source = 'proxy_process'
  GROUP BY recording
)
ORDER BY recording
