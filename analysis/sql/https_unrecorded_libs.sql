-- https_unrecorded_libs: the shared libraries (`*.so`, `*.so.N`, Node addons `*.node`) each of
-- the processes $pids (https_unrecorded.sql's, as text) of recording $recording opened, once
-- each, first opened first: where a TLS stack the capture did not hook may be (those the
-- dynamic loader opened and those loaded by dlopen alike; a library its parent mapped before a
-- fork, or one mapped before the capture joined the process, was opened by no traced call and
-- is not here). Opens of the pid at any time of the recording (a pid reused is not told apart).
SELECT pid, list(path ORDER BY first_ns, path) AS libs
FROM (
  SELECT f.pid, f.path, min(f.ts_ns) AS first_ns
  FROM file f
  WHERE f.recording = $recording AND f.op = 'open' AND f.ret >= 0
    AND list_contains($pids, f.pid::VARCHAR)
    AND regexp_matches(f.path, '\.(so(\.[0-9]+)*|node)$')
  GROUP BY ALL
)
GROUP BY pid
ORDER BY pid
