-- homes_capped: per recording that shows more homes (recording_homes_shown in
-- detect_macros.sql) than the detectors guard (recording_homes: 64), how many it shows and
-- the first few left out, for the one `problems` row that says their `~/` paths went unguarded.
SELECT recording, count(*) AS n,
  array_to_string(list_slice(list(dir ORDER BY dir) FILTER (WHERE NOT kept), 1, 5), ', ') ||
    CASE WHEN count(*) FILTER (WHERE NOT kept) > 5
      THEN ' and ' || (count(*) FILTER (WHERE NOT kept) - 5) || ' more' ELSE '' END
    AS examples
FROM (
  SELECT s.recording, s.dir, h.dir IS NOT NULL AS kept
  FROM recording_homes_shown() s
  LEFT JOIN recording_homes() h ON h.recording = s.recording AND h.dir = s.dir
)
GROUP BY recording
HAVING count(*) FILTER (WHERE NOT kept) > 0
ORDER BY recording
