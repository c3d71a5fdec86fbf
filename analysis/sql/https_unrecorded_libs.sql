-- https_unrecorded_libs: the shared libraries (`*.so`, `*.so.N`, Node addons `*.node`) each of
-- the processes $pids (https_unrecorded.sql's; bound as text, cast once to integers) of
-- recording $recording opened
-- read-only (O_RDONLY: what the dynamic loader and dlopen open; a library written, by a package
-- install or a build, is not loaded), once each, first opened first: where a TLS stack the
-- capture did not hook may be (a library its parent mapped before a fork, or one mapped before
-- the capture joined the process, was opened by no traced call and is not here). Opens of the
-- pid at any time of the recording (a pid reused is not told apart). The pids are joined as
-- integers: the filter is pushed down to the scan of `file`, no cast per row.
SELECT pid, list(path ORDER BY first_ns, path) AS libs
FROM (
  SELECT f.pid, f.path, min(f.ts_ns) AS first_ns
  FROM file f
  WHERE f.recording = $recording AND f.op = 'open' AND f.ret >= 0 AND (f.flags & 3) = 0
    AND f.pid IN (SELECT unnest($pids::INTEGER[]))
    AND regexp_matches(f.path, '\.(so(\.[0-9]+)*|node)$')
  GROUP BY ALL
)
GROUP BY pid
ORDER BY pid
