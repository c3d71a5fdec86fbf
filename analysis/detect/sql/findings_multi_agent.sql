-- findings (agent_blocked, file_contention, shared_file): what `file_sharing` says about
-- sessions of one recording working on the same files. A wait of at least $min_blocked_ns is
-- `agent_blocked` (medium when the session spent at least $blocked_share_medium of its wall
-- time blocked, else low); $contention_retries or more failed attempts on a file another
-- session held is `file_contention` (medium); reading or writing what another session wrote is
-- `shared_file` (info).
INSERT INTO findings
WITH named AS (
  SELECT f.*, coalesce(a.agent, '?') || ' (pid ' || f.session_id || ')' AS who,
    coalesce(b.agent, '?') || ' (pid ' || f.other_session_id || ')' AS whom,
    coalesce(a.blocked_share, 0) AS share, coalesce(a.blocked_ms, 0) AS session_blocked_ms,
    a.wall_ms
  FROM file_sharing f
  LEFT JOIN agent_activity a ON a.recording = f.recording AND a.session_id = f.session_id
  LEFT JOIN agent_activity b ON b.recording = f.recording AND b.session_id = f.other_session_id
),
picked AS (
  SELECT *,
    CASE
      WHEN kind = 'waited_for' AND blocked_ms * 1e6 >= $min_blocked_ns THEN 'agent_blocked'
      WHEN kind = 'contended' AND attempts >= $contention_retries THEN 'file_contention'
      WHEN kind IN ('read_after_write', 'overwrote') THEN 'shared_file'
    END AS fkind
  FROM named
)
SELECT recording,
  last_finding_id(p.recording)
    + row_number() OVER (PARTITION BY recording
      ORDER BY first_ns, path, fkind, session_id, other_session_id, kind),
  session_id, fkind,
  CASE fkind
    WHEN 'agent_blocked' THEN CASE WHEN share >= $blocked_share_medium THEN 'medium' ELSE 'low' END
    WHEN 'file_contention' THEN 'medium'
    ELSE 'info'
  END,
  first_ns, last_ns, evidence,
  CASE fkind
    WHEN 'agent_blocked' THEN who || ' was blocked ' || round(blocked_ms / 1000, 2) ||
      ' s waiting for ' || path || ', which ' || whom || ' wrote (' || attempts ||
      ' failed probes); in all it spent ' || round(100 * share, 1) ||
      '% of its wall time blocked on other agents.'
    WHEN 'file_contention' THEN who || ' failed ' || attempts || ' times to take ' || path ||
      ', held by ' || whom || ', and was blocked ' || round(blocked_ms / 1000, 2) || ' s.'
    WHEN 'shared_file' THEN who || CASE kind WHEN 'read_after_write' THEN ' read ' ELSE ' wrote ' END ||
      path || ' after ' || whom || ' wrote it (' || attempts || ' times).'
  END,
  json_object('path', path, 'relation', kind, 'session_id', session_id,
    'other_session_id', other_session_id, 'attempts', attempts, 'blocked_ms', blocked_ms,
    'session_blocked_ms', session_blocked_ms, 'blocked_share', share, 'wall_ms', wall_ms)
FROM picked p
WHERE fkind IS NOT NULL
ORDER BY recording, first_ns;
