-- ipc_streams: the byte streams of `ipc` the MCP parsers read (no table: `build.ts` reads the
-- rows), one per (channel, process, direction), in call order. A stream is read from its
-- writer's side when the writer was traced, else from its reader's: a pipe's ends share its
-- inode, and a unix socket's reader knows the writer's end as `peer_inode`, so both sides of
-- one stream have the same channel and it is parsed once. A TCP connection is its two
-- sockets for all its life: a socket's other end is the one any row of the connection names
-- (its own rows' `peer_inode`, or the rows of the other end naming it), also for a row that
-- came without one (capture writes a row without its peer when that was not seen within about
-- a second: tcp_peers in macros.sql); so every row of a connection has the same `conn`.
-- $kind: the streams of one kind only (cleartext_http.ts reads the `tcp` ones), or null for
-- all (build.ts).
WITH ends AS (
  SELECT i.* REPLACE (
    CASE WHEN i.kind = 'tcp' THEN coalesce(i.peer_inode, t.peer) ELSE i.peer_inode END
      AS peer_inode)
  FROM ipc i
  LEFT JOIN tcp_peers('ipc') t
    ON i.kind = 'tcp' AND t.recording = i.recording AND t.inode = i.inode
),
rows AS (
  SELECT *,
    CASE WHEN kind = 'unix' AND direction = 'read' AND peer_inode IS NOT NULL THEN peer_inode
      WHEN kind = 'tcp' AND direction = 'read' THEN coalesce(peer_inode, -inode)
      ELSE inode END AS channel,
    CASE WHEN kind = 'tcp' THEN least(inode, coalesce(peer_inode, inode)) END AS conn
  FROM ends
),
written AS (SELECT DISTINCT recording, channel FROM rows WHERE direction = 'write')
SELECT i.recording, i.pid, i.channel, i.conn, i.kind, i.direction, i.seq, i.len, i.ts_ns, i.data,
  i.truncated, i.lost, i.local_port, i.remote_port, i.local_addr, i.remote_addr,
  coalesce(i.peer_pid, (SELECT min(o.pid) FROM rows o WHERE o.recording = i.recording
    AND o.channel = i.channel AND o.direction <> i.direction AND o.pid <> i.pid)) AS peer_pid
FROM rows i
WHERE (i.direction = 'write' OR NOT EXISTS (
    SELECT 1 FROM written w WHERE w.recording = i.recording AND w.channel = i.channel))
  AND i.kind = coalesce($kind, i.kind)
ORDER BY i.recording, i.conn NULLS FIRST, i.channel, i.pid, i.direction, i.seq
