-- summary_files: files the agents' processes wrote in one recording ($1), first write first.
SELECT path, min(ts_ns) AS first_ns, count(*) AS writes, any_value(exe) AS exe
FROM file_events
WHERE recording = $1 AND written AND agent_role IS NOT NULL
GROUP BY path
ORDER BY first_ns, path;
