-- file_sharing_list: files two sessions both touched, with how and for how long one waited.
WITH t0 AS (SELECT min(start_ns) AS t0 FROM processes)
SELECT f.path, f.kind, f.session_id, f.other_session_id, f.attempts, round(f.blocked_ms) AS blocked_ms,
  round((f.first_ns - t0.t0) / 1e9, 3) AS first_s, round((f.last_ns - t0.t0) / 1e9, 3) AS last_s
FROM file_sharing f CROSS JOIN t0
ORDER BY f.first_ns, f.path, f.kind, f.session_id, f.other_session_id;
