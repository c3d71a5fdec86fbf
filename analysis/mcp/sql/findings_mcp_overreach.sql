-- findings (mcp_server_overreach): an MCP server acting beyond the tool call it was serving:
-- during a `tools/call` (its `mcp` links), a file it opened, wrote or removed that the call's
-- arguments do not name and that is neither under a path they name nor, read only, a
-- directory on the way to one (its own code under node_modules, and /dev, /proc, /sys, shared
-- libraries excepted, each path on its own), or a connection or DNS question while serving a
-- tool whose arguments name a path (a file tool). A rename, link or symlink is judged by both
-- its paths (moving a named file to a place not named is overreach). A temporary file is part
-- of writing the path it replaces (an atomic write, as server-filesystem's write_file over an
-- existing file and edit_file do: `F.<hex>.tmp`, then rename over F) only when it is new: the
-- process that renames it onto a path the call names created it in the call with O_CREAT and
-- O_EXCL or O_TRUNC (O_CREAT alone opens an existing file as it is), in the target's
-- directory, and no action of the call touched that path before; only the actions on it from
-- that open to the rename are excused. A server's own state is not what a call asks for either,
-- and is excused path by path (exactly that path, nothing under it), by what the recording
-- shows, never by a server's name: a path in the acting process's argv (a database the user
-- configured it with: `--db /x/state.db`); a file it wrote before its first tools/call (state it
-- made at start-up); and its store: a file it keeps by loading and saving it whole — every
-- action on it in the recording is that process's, each a read-only open (a load; one that
-- failed, the file not there yet, too) or the rename onto it of a file the process created new
-- in its directory (an atomic save), and at least one save — not a sensitive path
-- (sensitive_reads), and the save's temporary file excused with it as above (the memory server,
-- @modelcontextprotocol/server-memory, loads and saves its MEMORY_FILE_PATH file, set in an
-- environment the capture does not record, on every call). A write of any other kind (an
-- append, a write in place, a link, a file moved away or onto it from elsewhere), or a file
-- another process also touched, is not a store. High when a sensitive read or a network action
-- is among them, else medium.
INSERT INTO findings
WITH calls AS (
  SELECT m.recording, m.mcp_call_id, m.session_id, m.server_pid, m.server_name, m.tool,
    m.start_ns, m.end_ns, k.tool_call_id, m.arguments::VARCHAR AS args,
    list_filter(
      list_transform(regexp_extract_all(m.arguments::VARCHAR, '"(/[^"]*)"', 1), p -> rtrim(p, '/')),
      p -> p <> '') AS paths,
    -- relative paths among the string arguments, as the end of an absolute path
    list_transform(list_filter(regexp_extract_all(m.arguments::VARCHAR, '"([^"/][^"]*)"', 1),
      p -> regexp_matches(p, '^[\w.-]+(/[\w.-]+)*$') AND contains(p, '.')),
      p -> '/' || regexp_replace(p, '^\./', '')) AS rel_paths
  FROM mcp_calls m
  JOIN mcp_tool_links k ON k.recording = m.recording AND k.mcp_call_id = m.mcp_call_id
),
linked AS (
  SELECT c.recording, c.mcp_call_id, c.start_ns, c.paths, c.rel_paths, a.event_table,
    a.event_id, a.op, a.ts_ns, a.pid, a.proc_start_ns, a.path, a.path2, a.flags, a.written,
    CASE WHEN a.path2 IS NOT NULL THEN a.path || ' -> ' || a.path2
      ELSE coalesce(a.path, a.qname, a.addr || ':' || a.port) END AS what,
    a.event_table = 'net' AS network
  FROM links l
  JOIN calls c ON c.recording = l.recording AND c.tool_call_id = l.tool_call_id
  JOIN actions a ON a.recording = l.recording AND a.event_table = l.event_table
    AND a.event_id = l.event_id
  WHERE list_contains(l.signals, 'mcp') AND a.ts_ns BETWEEN c.start_ns AND coalesce(c.end_ns, c.start_ns)
    AND a.ok
),
-- each process that acted in a call (the server, a process it started)
actors AS (
  SELECT DISTINCT l.recording, l.pid, l.proc_start_ns, c.server_pid, f.first_ns
  FROM linked l
  JOIN calls c ON c.recording = l.recording AND c.mcp_call_id = l.mcp_call_id
  JOIN (SELECT recording, server_pid, min(start_ns) AS first_ns FROM calls GROUP BY ALL) f
    ON f.recording = c.recording AND f.server_pid = c.server_pid
),
-- an actor's atomic saves: the rename onto a path of a file it created new (O_CREAT with O_EXCL
-- or O_TRUNC) in that path's directory before
saves AS (
  SELECT DISTINCT r.recording, r.pid, r.proc_start_ns, r.path2 AS path
  FROM actors x
  JOIN actions r ON r.recording = x.recording AND r.pid = x.pid
    AND r.proc_start_ns IS NOT DISTINCT FROM x.proc_start_ns
  JOIN actions o ON o.recording = r.recording AND o.pid = r.pid
    AND o.proc_start_ns IS NOT DISTINCT FROM r.proc_start_ns AND o.event_table = 'file'
    AND o.op = 'open' AND o.path = r.path AND (o.flags & 64) <> 0 AND (o.flags & (128 | 512)) <> 0
    AND o.ts_ns <= r.ts_ns
  WHERE r.event_table = 'file' AND r.op = 'rename' AND r.ok AND r.path2 IS NOT NULL
    AND regexp_replace(r.path, '/[^/]*$', '') = regexp_replace(r.path2, '/[^/]*$', '')
),
-- the actions on those paths that are not their actor's loads (read-only opens: no O_WRONLY,
-- O_RDWR, O_CREAT, O_TRUNC, O_APPEND) nor saves (renames onto them): any one makes the path no
-- store (each of a call's two paths joined on its own, so that both are hash joins)
other_uses AS (
  SELECT s.recording, s.pid, s.proc_start_ns, s.path
  FROM saves s
  JOIN actions a ON a.recording = s.recording AND a.event_table = 'file' AND a.path = s.path
  WHERE NOT (a.pid = s.pid AND a.proc_start_ns IS NOT DISTINCT FROM s.proc_start_ns
    AND a.op = 'open' AND (a.flags & (3 | 64 | 512 | 1024)) = 0)
  UNION
  SELECT s.recording, s.pid, s.proc_start_ns, s.path
  FROM saves s
  JOIN actions a ON a.recording = s.recording AND a.event_table = 'file' AND a.path2 = s.path
  WHERE NOT (a.pid = s.pid AND a.proc_start_ns IS NOT DISTINCT FROM s.proc_start_ns
    AND a.op = 'rename')
),
-- each actor's own state (the header): its stores, what it wrote before the server's first
-- tools/call, the paths in its argv
own AS (
  SELECT recording, pid, proc_start_ns, list(DISTINCT path) AS paths
  FROM (
    SELECT s.recording, s.pid, s.proc_start_ns, s.path
    FROM saves s
    WHERE NOT EXISTS (SELECT 1 FROM other_uses u WHERE u.recording = s.recording
        AND u.pid = s.pid AND u.proc_start_ns IS NOT DISTINCT FROM s.proc_start_ns
        AND u.path = s.path)
      AND NOT EXISTS (SELECT 1 FROM sensitive_reads r WHERE r.recording = s.recording
        AND r.path = s.path)
    UNION ALL
    SELECT x.recording, x.pid, x.proc_start_ns, unnest(changed_paths(a.op, a.path, a.path2))
    FROM actors x
    JOIN actions a ON a.recording = x.recording AND a.pid = x.pid
      AND a.proc_start_ns IS NOT DISTINCT FROM x.proc_start_ns
    WHERE a.event_table = 'file' AND a.written AND a.ts_ns < x.first_ns
    UNION ALL
    SELECT x.recording, x.pid, x.proc_start_ns, rtrim(unnest(list_filter(list_transform(p.argv,
        v -> CASE WHEN starts_with(v, '/') THEN v
          ELSE nullif(regexp_extract(v, '^-[\w-]*=(/.+)$', 1), '') END),
        v -> v IS NOT NULL)), '/')
    FROM actors x
    JOIN processes p ON p.recording = x.recording AND p.pid = x.pid
      AND p.start_ns IS NOT DISTINCT FROM x.proc_start_ns
  )
  GROUP BY ALL
),
-- the rename of a temporary file of an atomic write onto a named path, with the open that
-- created it (the earliest such open: a later one follows a touch of the path)
temp_writes AS (
  SELECT r.recording, r.mcp_call_id, r.path AS temp, min(o.ts_ns) AS made_ns, r.ts_ns AS moved_ns
  FROM linked r
  LEFT JOIN own w ON w.recording = r.recording AND w.pid = r.pid
    AND w.proc_start_ns IS NOT DISTINCT FROM r.proc_start_ns
  JOIN linked o ON o.recording = r.recording AND o.mcp_call_id = r.mcp_call_id AND o.pid = r.pid
    AND o.proc_start_ns IS NOT DISTINCT FROM r.proc_start_ns AND o.op = 'open' AND o.path = r.path
    AND (o.flags & 64) <> 0 AND (o.flags & (128 | 512)) <> 0 AND o.ts_ns <= r.ts_ns
  WHERE r.op = 'rename' AND r.path2 IS NOT NULL
    AND (names_path(r.paths, r.rel_paths, r.path2) OR list_contains(coalesce(w.paths, []), r.path2))
    AND regexp_replace(r.path, '/[^/]*$', '') = regexp_replace(r.path2, '/[^/]*$', '')
  GROUP BY ALL
),
-- the actions an atomic write excuses, each with its temp path: those on the temp from its
-- creating open to its rename, when nothing in the call touched the temp before that open
excused AS (
  SELECT x.recording, x.event_table, x.event_id, list(DISTINCT t.temp) AS temps
  FROM temp_writes t
  JOIN linked x ON x.recording = t.recording AND x.mcp_call_id = t.mcp_call_id
    AND t.temp IN (x.path, x.path2) AND x.ts_ns BETWEEN t.made_ns AND t.moved_ns
  WHERE NOT EXISTS (SELECT 1 FROM linked b WHERE b.recording = t.recording
    AND b.mcp_call_id = t.mcp_call_id AND t.temp IN (b.path, b.path2) AND b.ts_ns < t.made_ns)
  GROUP BY ALL
),
acts AS (
  SELECT x.recording, x.mcp_call_id, x.event_table, x.event_id, x.op, x.ts_ns, x.what,
    x.network,
    EXISTS (SELECT 1 FROM sensitive_reads r WHERE r.recording = x.recording
      AND r.event_id = x.event_id AND x.event_table = 'file') AS sensitive
  FROM linked x
  LEFT JOIN excused e ON e.recording = x.recording AND e.event_table = x.event_table
    AND e.event_id = x.event_id
  LEFT JOIN own w ON w.recording = x.recording AND w.pid = x.pid
    AND w.proc_start_ns IS NOT DISTINCT FROM x.proc_start_ns
  WHERE (x.event_table = 'file' AND x.op <> 'chdir'
      AND len(list_filter(list_distinct(list_filter([x.path, x.path2], p -> p IS NOT NULL)),
        p -> NOT names_path(x.paths, x.rel_paths, p)
          AND NOT list_contains(coalesce(e.temps, []), p)
          AND NOT list_contains(coalesce(w.paths, []), p)
          AND NOT regexp_matches(p, '^/(dev|proc|sys)/|/node_modules/|\.so(\.[0-9]+)*$|^/etc/ld\.so'))) > 0
      -- looking at a directory on the way to a named path (realpath, validation) is asking
      AND NOT (NOT x.written AND len(list_filter(x.paths, p -> starts_with(p, x.path || '/'))) > 0))
    OR (x.event_table = 'net' AND len(x.paths) > 0)
),
grouped AS (
  SELECT c.recording, c.session_id, c.mcp_call_id, c.tool_call_id, c.server_pid, c.server_name,
    c.tool, c.start_ns, c.end_ns, c.args,
    list(x.event_table || ':' || x.event_id ORDER BY x.ts_ns, x.event_table, x.event_id) AS ev,
    list(x.op || ' ' || x.what ORDER BY x.ts_ns, x.event_table, x.event_id) AS what,
    bool_or(x.network) AS network, bool_or(x.sensitive) AS sensitive
  FROM calls c JOIN acts x ON x.recording = c.recording AND x.mcp_call_id = c.mcp_call_id
  GROUP BY ALL
)
SELECT recording,
  last_finding_id(g.recording)
    + row_number() OVER (PARTITION BY recording ORDER BY start_ns, mcp_call_id),
  session_id, 'mcp_server_overreach', CASE WHEN network OR sensitive THEN 'high' ELSE 'medium' END,
  start_ns, end_ns, list_concat(['tool_call:' || tool_call_id, 'mcp_call:' || mcp_call_id], ev[1:20]),
  'MCP server ' || coalesce(server_name, '?') || ' (pid ' || server_pid || '), serving ' || tool ||
    ' ' || left(args, 160) || ', also did what the call did not ask: ' ||
    array_to_string(list_transform(what[1:5], x -> left(x, 160)), '; ') ||
    CASE WHEN len(what) > 5 THEN ' and ' || (len(what) - 5) || ' more' ELSE '' END || '.',
  json_object('server_pid', server_pid, 'server_name', server_name, 'tool', tool,
    'arguments', args, 'actions', what, 'network', network, 'sensitive', sensitive)
FROM grouped g
ORDER BY recording, start_ns;
