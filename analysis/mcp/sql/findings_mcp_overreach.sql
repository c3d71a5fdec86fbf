-- findings (mcp_server_overreach): an MCP server acting beyond the tool call it was serving:
-- during a `tools/call` (its `mcp` links), a file it opened, wrote or removed that the call's
-- arguments do not name and that is neither under a path they name nor, read only, a
-- directory on the way to one (reads and loads of its own code under node_modules, of /dev,
-- /proc, /sys and shared libraries excepted, each path on its own; a path an action writes is
-- judged wherever it is, a write to /proc/sys, through /proc/self/root or to a .so too, but
-- for device noise: /dev/null, a tty), or a connection or DNS question while serving a
-- tool whose arguments name a path (a file tool). A rename, link or symlink is judged by both
-- its paths (moving a named file to a place not named is overreach). A temporary file is part
-- of writing the path it replaces (an atomic write, as server-filesystem's write_file over an
-- existing file and edit_file do: `F.<hex>.tmp`, then rename over F) only when it is new: the
-- process that renames it onto a path the call names created it in the call with O_CREAT and
-- O_EXCL or O_TRUNC (O_CREAT alone opens an existing file as it is), in the target's
-- directory, and no action of the call touched that path before; only the actions on it from
-- that open to the rename are excused. A sensitive or persistence file is never such a temp,
-- but for one in a directory that guards every name in it (.github/workflows/, ~/.ssh/)
-- renamed onto a path the call names, new beyond doubt (O_EXCL) or named after that path
-- (ci.yml.1f2e.tmp): the atomic write the user asked for there. A temp left, or renamed
-- elsewhere, is judged as itself.
-- A path through a process's root or working directory (/proc/self/root/x, /proc/PID/cwd/x)
-- is judged as the path it names (the cwd that process had then: its last chdir, else its
-- exec's); one through a working directory the recording does not show is a place unknown,
-- judged wherever it is and never own state. The processes between a server and the client
-- that started it (npx, uvx, sh -c: mcp_launchers in macros.sql) are part of the server:
-- their actions during a call and their start-up writes are judged as the server's.
-- A server's own state is not what a call asks for either, but the recording cannot prove a
-- file is one (the server's environment is not recorded; an untouched file overwritten looks
-- like one made new): what looks like it lowers the severity to low and says so, path by path
-- (exactly that path, nothing under it), by what the recording shows, never by a server's
-- name; it never hides an action, and never covers a sensitive path (`sensitive_patterns`) or
-- a persistence path (`persistence_patterns`: shell start-up files, git hooks, services,
-- crontabs, agents' settings and instructions), each matched by its regex:
-- - a path in the server process's first exec's arguments after the program and its script
--   (argv[3:], the command line the agent gave it: `--db=/x/state.db`), not its children's nor
--   a later exec's;
-- - a file the server or a process acting for it created new before its first tools/call
--   (a creating open, mkdir or rename onto a path that nothing touched before but failed
--   opens that found it absent, ENOENT; never a link or symlink, whose target may be any
--   file); a write of a sensitive or persistence path before the first call, by the server or
--   a process it started then (acting in a call or not), is a finding of its own, "before any
--   tool call" (other start-up writes, a runtime's caches, are not judged);
-- - its store: a file it keeps by loading and saving it whole: every action on it in the
--   recording is that process's, each a read-only open (a load) or a save (the rename onto it
--   of a temporary file the process created new, O_CREAT with O_EXCL or O_TRUNC, in its
--   directory), with at least one save (the memory server, @modelcontextprotocol/server-memory,
--   loads and saves its MEMORY_FILE_PATH file, set in an environment the capture does not
--   record, on every call: one low finding per call, not medium). A write of any
--   other kind (an append, a write in place, a link, a file moved away or onto it from
--   elsewhere), or a file another process also touched, is not a store.
-- Sensitive and persistence paths are matched as named through /proc/PID/root too
-- (`proc_root_path`), with constant alternations of the patterns (a regex from a column is
-- compiled again per row), a path under a home the recording shows as /root/<rest>. A pid reused is another process: a server is the incarnation of its pid
-- alive at its call, and its first call is that incarnation's.
-- High when a sensitive path (its regex, whatever the action: a read, a rename onto it) or a
-- network action is among them, low when all look like the server's own state, else medium.
INSERT INTO findings
WITH RECURSIVE
-- the homes the recording shows beyond /root and /home/* (recording_homes in
-- detect_macros.sql): a path under one is screened as /root/<rest> ($guard_home_any,
-- $sensitive_home_any), each `~/` pattern's rest in one constant alternation
homes AS (FROM recording_homes()),
-- a pid reused is another process: each tools/call's server is the incarnation of its pid
-- alive at the call (pid_incarnations, as mcp_links.sql)
incs AS (FROM pid_incarnations('lineage')),
server_calls AS (
  SELECT m.recording, m.mcp_call_id, m.session_id, m.server_pid, v.start_ns AS server_start_ns,
    m.server_name, m.start_ns, m.client_pid, c.start_ns AS client_start_ns
  FROM mcp_calls m
  ASOF LEFT JOIN incs v
    ON v.recording = m.recording AND v.pid = m.server_pid AND m.start_ns >= v.from_ns
  ASOF LEFT JOIN incs c
    ON c.recording = m.recording AND c.pid = m.client_pid AND m.start_ns >= c.from_ns
  WHERE m.method = 'tools/call' AND m.server_pid IS NOT NULL
),
calls AS (
  SELECT m.recording, m.mcp_call_id, m.session_id, m.server_pid, s.server_start_ns,
    m.server_name, m.tool,
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
  JOIN server_calls s ON s.recording = m.recording AND s.mcp_call_id = m.mcp_call_id
),
-- each server's (incarnation's) first tools/call, of all its calls (linked to a tool call or
-- not), with the session and name it had then
firsts AS (
  SELECT recording, server_pid, server_start_ns, min(start_ns) AS first_ns,
    arg_min(session_id, start_ns) AS session_id, arg_min(server_name, start_ns) AS server_name
  FROM server_calls
  GROUP BY ALL
),
-- the processes that launched each server for its client (npx, uvx, sh -c: mcp_launchers in
-- macros.sql): part of the server, their start-up too
launchers AS (
  SELECT DISTINCT f.recording, f.server_pid, f.server_start_ns, f.first_ns, l.pid, l.start_ns
  FROM firsts f
  JOIN mcp_launchers('mcp_calls', 'lineage') l ON l.recording = f.recording
    AND l.server_pid = f.server_pid AND l.server_start_ns IS NOT DISTINCT FROM f.server_start_ns
),
-- the file actions through a process's root or working directory (/proc/self/root/x,
-- /proc/PID/cwd/x, a task's too), each path as the one it names: through the root, from /
-- (as proc_root_path); through the working directory, from the cwd that process had then
-- (its last chdir, else its last exec's cwd, of the incarnation of the pid alive then; self
-- and thread-self: the acting process). A working directory the recording does not show
-- leaves the path as written, a place that is judged wherever it is (never own state)
via_proc AS (
  SELECT x.*,
    regexp_extract(x.p, '^/proc/([^/]+)', 1) AS target,
    regexp_extract(x.p, '^/proc/[^/]+(/task/[0-9]+)?/(root|cwd)(/.*)?$', 2) AS dir_kind,
    regexp_extract(x.p, '^/proc/[^/]+(/task/[0-9]+)?/(root|cwd)(/.*)?$', 3) AS rest
  FROM (
    SELECT recording, event_id, pid, proc_start_ns, ts_ns, 1 AS k, path AS p FROM actions
    WHERE event_table = 'file' AND starts_with(path, '/proc/')
    UNION ALL
    SELECT recording, event_id, pid, proc_start_ns, ts_ns, 2, path2 FROM actions
    WHERE event_table = 'file' AND starts_with(path2, '/proc/')
  ) x
  WHERE regexp_matches(x.p, '^/proc/(self|thread-self|[0-9]+)(/task/[0-9]+)?/(root|cwd)(/|$)')
),
via_target AS (
  SELECT x.*,
    CASE WHEN x.target IN ('self', 'thread-self') THEN x.pid ELSE TRY_CAST(x.target AS INTEGER) END
      AS target_pid,
    CASE WHEN x.target IN ('self', 'thread-self') THEN x.proc_start_ns ELSE v.start_ns END
      AS target_start_ns
  FROM via_proc x
  ASOF LEFT JOIN incs v ON v.recording = x.recording AND v.pid = TRY_CAST(x.target AS INTEGER)
    AND x.ts_ns >= v.from_ns
),
-- each process's working directory from a time on: a chdir's, an exec's
cwds AS (
  SELECT recording, pid, ts_ns, path AS cwd FROM actions
  WHERE event_table = 'file' AND op = 'chdir' AND ok
  UNION ALL
  SELECT recording, pid, ts_ns, cwd FROM process
  WHERE kind IN ('exec', 'joined') AND cwd IS NOT NULL
),
via_resolved AS (
  SELECT recording, event_id,
    max(r) FILTER (WHERE k = 1) AS path, max(r) FILTER (WHERE k = 2) AS path2,
    bool_or(r IS NULL) AS unresolved
  FROM (
    SELECT x.recording, x.event_id, x.k,
      CASE WHEN x.dir_kind = 'root' THEN coalesce(nullif(x.rest, ''), '/')
        WHEN c.cwd IS NOT NULL AND c.ts_ns >= x.target_start_ns
          THEN coalesce(nullif(rtrim(c.cwd, '/') || x.rest, ''), '/')
      END AS r
    FROM via_target x
    ASOF LEFT JOIN cwds c ON c.recording = x.recording AND c.pid = x.target_pid
      AND x.ts_ns >= c.ts_ns
  )
  GROUP BY ALL
),
-- the server process, the processes that launched it for its client (launchers) and the
-- processes they started before its first call (their incarnations, by lineage's ppid and
-- parent_start_ns, as mcp_links.sql; never its client nor what that started): their
-- start-up writes are judged whether or not they act during a call
servers(recording, server_pid, server_start_ns, first_ns, pid, proc_start_ns) AS (
  SELECT recording, server_pid, server_start_ns, first_ns, server_pid, server_start_ns
  FROM firsts
  UNION
  SELECT recording, server_pid, server_start_ns, first_ns, pid, start_ns FROM launchers
  UNION
  SELECT t.recording, t.server_pid, t.server_start_ns, t.first_ns, l.pid, l.start_ns
  FROM servers t
  JOIN lineage l ON l.recording = t.recording AND l.ppid = t.pid
    AND l.parent_start_ns IS NOT DISTINCT FROM t.proc_start_ns AND l.pid <> t.pid
    AND l.start_ns < t.first_ns
  WHERE NOT EXISTS (SELECT 1 FROM server_calls k WHERE k.recording = t.recording
    AND k.server_pid = t.server_pid
    AND k.server_start_ns IS NOT DISTINCT FROM t.server_start_ns AND k.client_pid = l.pid
    AND k.client_start_ns IS NOT DISTINCT FROM l.start_ns)
),
linked AS (
  SELECT c.recording, c.mcp_call_id, c.start_ns, c.paths, c.rel_paths, a.event_table,
    a.event_id, a.op, a.ts_ns, a.pid, a.proc_start_ns, coalesce(v.path, a.path) AS path,
    coalesce(v.path2, a.path2) AS path2, a.flags, a.written,
    -- the paths it writes, pseudo-files too (a write to /proc/sys, through /proc/self/root)
    CASE WHEN a.event_table = 'file' AND writes_file(a.op, a.flags, a.ret)
      THEN changed_paths(a.op, coalesce(v.path, a.path), coalesce(v.path2, a.path2))
      ELSE [] END AS changed,
    CASE WHEN a.path2 IS NOT NULL THEN a.path || ' -> ' || a.path2
      ELSE coalesce(a.path, a.qname, a.addr || ':' || a.port) END ||
      CASE WHEN v.event_id IS NULL THEN ''
        WHEN v.unresolved THEN ' (through a working directory the recording does not show)'
        ELSE ' (that is ' || coalesce(v.path, a.path) || coalesce(' -> ' || coalesce(v.path2, a.path2), '') || ')'
      END AS what,
    a.event_table = 'net' AS network
  FROM links l
  JOIN calls c ON c.recording = l.recording AND c.tool_call_id = l.tool_call_id
  JOIN actions a ON a.recording = l.recording AND a.event_table = l.event_table
    AND a.event_id = l.event_id
  LEFT JOIN via_resolved v ON v.recording = a.recording AND v.event_id = a.event_id
    AND a.event_table = 'file'
  WHERE list_contains(l.signals, 'mcp') AND a.ts_ns BETWEEN c.start_ns AND coalesce(c.end_ns, c.start_ns)
    AND a.ok
),
-- each process that acted in a call (the server, a process it started), and the server itself
actors AS (
  SELECT DISTINCT l.recording, l.pid, l.proc_start_ns, c.server_pid, c.server_start_ns,
    f.first_ns
  FROM linked l
  JOIN calls c ON c.recording = l.recording AND c.mcp_call_id = l.mcp_call_id
  JOIN firsts f ON f.recording = c.recording AND f.server_pid = c.server_pid
    AND f.server_start_ns IS NOT DISTINCT FROM c.server_start_ns
  UNION
  SELECT recording, pid, proc_start_ns, server_pid, server_start_ns, first_ns FROM servers
),
-- an actor's atomic saves: the rename onto a path of a file it created new (an open that
-- succeeded, O_CREAT with O_EXCL or O_TRUNC) in that path's directory before
saves AS (
  SELECT DISTINCT r.recording, r.pid, r.proc_start_ns, r.event_id, r.ts_ns, r.path2 AS path
  FROM actors x
  JOIN actions r ON r.recording = x.recording AND r.pid = x.pid
    AND r.proc_start_ns IS NOT DISTINCT FROM x.proc_start_ns
  JOIN actions o ON o.recording = r.recording AND o.pid = r.pid
    AND o.proc_start_ns IS NOT DISTINCT FROM r.proc_start_ns AND o.event_table = 'file'
    AND o.op = 'open' AND o.ok AND o.path = r.path AND (o.flags & 64) <> 0
    AND (o.flags & (128 | 512)) <> 0 AND o.ts_ns <= r.ts_ns
  WHERE r.event_table = 'file' AND r.op = 'rename' AND r.ok AND r.path2 IS NOT NULL
    AND regexp_replace(r.path, '/[^/]*$', '') = regexp_replace(r.path2, '/[^/]*$', '')
),
save_paths AS (
  SELECT recording, pid, proc_start_ns, path, min(ts_ns) AS first_save_ns
  FROM saves GROUP BY ALL
),
-- the actions on those paths that are not their actor's loads (read-only opens: no O_WRONLY,
-- O_RDWR, O_CREAT, O_TRUNC, O_APPEND) nor saves: any one makes the path no store (each of an
-- action's two paths joined on its own, so that both are hash joins)
other_uses AS (
  SELECT s.recording, s.pid, s.proc_start_ns, s.path
  FROM save_paths s
  JOIN actions a ON a.recording = s.recording AND a.event_table = 'file' AND a.path = s.path
  WHERE NOT (a.pid = s.pid AND a.proc_start_ns IS NOT DISTINCT FROM s.proc_start_ns
    AND a.op = 'open' AND (a.flags & (3 | 64 | 512 | 1024)) = 0)
  UNION
  SELECT s.recording, s.pid, s.proc_start_ns, s.path
  FROM save_paths s
  JOIN actions a ON a.recording = s.recording AND a.event_table = 'file' AND a.path2 = s.path
  WHERE NOT EXISTS (SELECT 1 FROM saves v WHERE v.recording = a.recording
    AND v.event_id = a.event_id AND v.pid = s.pid
    AND v.proc_start_ns IS NOT DISTINCT FROM s.proc_start_ns)
),
-- the file writes of each actor before its server's first tools/call, each changed path with
-- the action that first wrote it
early AS (
  SELECT x.recording, x.server_pid, x.server_start_ns, x.pid, x.proc_start_ns, a.event_id,
    a.ts_ns, a.op, coalesce(v.path, a.path) AS path, coalesce(v.path2, a.path2) AS path2,
    a.flags,
    unnest(changed_paths(a.op, coalesce(v.path, a.path), coalesce(v.path2, a.path2))) AS changed,
    CASE WHEN a.path2 IS NOT NULL THEN a.path || ' -> ' || a.path2 ELSE a.path END ||
      CASE WHEN v.event_id IS NULL THEN ''
        WHEN v.unresolved THEN ' (through a working directory the recording does not show)'
        ELSE ' (that is ' || coalesce(v.path, a.path) || coalesce(' -> ' || coalesce(v.path2, a.path2), '') || ')'
      END AS what
  FROM actors x
  JOIN actions a ON a.recording = x.recording AND a.pid = x.pid
    AND a.proc_start_ns IS NOT DISTINCT FROM x.proc_start_ns
  LEFT JOIN via_resolved v ON v.recording = a.recording AND v.event_id = a.event_id
  WHERE a.event_table = 'file' AND writes_file(a.op, a.flags, a.ret) AND a.ts_ns < x.first_ns
),
-- the paths an actor made new before the first call: its first write of the path creates it
-- (an open with O_CREAT, mkdir, or a rename, link or symlink onto it) with O_EXCL, or nothing
-- found it before (no action on it but failed opens that said it was absent, ENOENT)
early_new AS (
  SELECT e.recording, e.pid, e.proc_start_ns, e.changed AS path
  FROM early e
  WHERE (e.op = 'open' AND (e.flags & 64) <> 0 OR e.op = 'mkdir'
      OR (e.op = 'rename' AND e.changed = e.path2))
    -- (each of an action's two paths joined on its own, so that both are hash joins)
    AND (NOT (
      EXISTS (SELECT 1 FROM actions b WHERE b.recording = e.recording AND b.event_table = 'file'
        AND b.path = e.changed AND b.ts_ns < e.ts_ns AND (b.ok OR coalesce(b.ret, 0) <> -2))
      OR EXISTS (SELECT 1 FROM actions b WHERE b.recording = e.recording
        AND b.event_table = 'file' AND b.path2 = e.changed AND b.ts_ns < e.ts_ns AND b.ok)))
  QUALIFY row_number() OVER (PARTITION BY e.recording, e.pid, e.proc_start_ns, e.changed
    ORDER BY e.ts_ns, e.event_id) = 1
),
-- the server process's first exec's arguments after its program and script that are absolute
-- paths (or `--name=/path`)
argv_paths AS (
  SELECT recording, pid, proc_start_ns, rtrim(unnest(list_filter(list_transform(argv[3:],
      v -> CASE WHEN starts_with(v, '/') THEN v
        ELSE nullif(regexp_extract(v, '^-[\w-]*=(/.+)$', 1), '') END),
      v -> v IS NOT NULL)), '/') AS path
  FROM (
    SELECT s.recording, s.server_pid AS pid, s.server_start_ns AS proc_start_ns, e.argv
    FROM firsts s
    JOIN actions e ON e.recording = s.recording AND e.event_table = 'process'
      AND e.op = 'exec' AND e.pid = s.server_pid
      AND e.proc_start_ns IS NOT DISTINCT FROM s.server_start_ns
    QUALIFY row_number() OVER (PARTITION BY s.recording, s.server_pid, s.server_start_ns
      ORDER BY e.ts_ns, e.event_id) = 1
  )
),
-- each candidate of own state: a store (created in the recording or not), a new start-up
-- file, an argv path
candidates AS (
  SELECT s.recording, s.pid, s.proc_start_ns, s.path,
    CASE WHEN EXISTS (SELECT 1 FROM actions b WHERE b.recording = s.recording
        AND b.event_table = 'file' AND b.path = s.path AND b.ts_ns < s.first_save_ns
        AND (b.ok OR coalesce(b.ret, 0) <> -2))
      OR EXISTS (SELECT 1 FROM actions b WHERE b.recording = s.recording
        AND b.event_table = 'file' AND b.path2 = s.path AND b.ts_ns < s.first_save_ns AND b.ok)
      THEN 'old_store' ELSE 'own' END AS kind
  FROM save_paths s
  WHERE NOT EXISTS (SELECT 1 FROM other_uses u WHERE u.recording = s.recording
      AND u.pid = s.pid AND u.proc_start_ns IS NOT DISTINCT FROM s.proc_start_ns
      AND u.path = s.path)
  UNION ALL
  SELECT recording, pid, proc_start_ns, path, 'own' FROM early_new
  UNION ALL
  SELECT recording, pid, proc_start_ns, path, 'own' FROM argv_paths
),
-- every path judged here (of the candidates, the calls' actions, the start-up writes, and
-- each renamed file's directory probed with a name no pattern names: `<dir>/sightline-probe`),
-- each once, as guarded (a sensitive or persistence path, through /proc/PID/root too, or one
-- through a working directory the recording does not show: a place unknown) and sensitive;
-- the patterns are matched as constant alternations ($guard_any, $sensitive_any), a path
-- under a home the recording shows as /root/<rest> ($guard_home_any, $sensitive_home_any),
-- never a regex from a column (compiled again per row)
judged_paths AS (
  SELECT DISTINCT recording, path, proc_root_path(path) AS rpath
  FROM (
    SELECT recording, path FROM candidates
    UNION ALL SELECT recording, path FROM linked WHERE path IS NOT NULL
    UNION ALL SELECT recording, path2 FROM linked WHERE path2 IS NOT NULL
    UNION ALL SELECT recording, regexp_replace(path, '/[^/]*$', '') || '/sightline-probe'
      FROM linked WHERE op = 'rename' AND path IS NOT NULL
    UNION ALL SELECT recording, changed FROM early
  )
),
path_guards AS MATERIALIZED (
  SELECT q.recording, q.path,
    regexp_matches(q.rpath, $guard_any)
      OR regexp_matches(q.path, '^/proc/(self|thread-self|[0-9]+)(/task/[0-9]+)?/cwd(/|$)')
      OR EXISTS (SELECT 1 FROM homes h WHERE h.recording = q.recording
        AND starts_with(q.rpath, h.dir || '/')
        AND regexp_matches('/root/' || substr(q.rpath, length(h.dir) + 2), $guard_home_any))
      AS guarded,
    regexp_matches(q.rpath, $sensitive_any)
      OR EXISTS (SELECT 1 FROM homes h WHERE h.recording = q.recording
        AND starts_with(q.rpath, h.dir || '/')
        AND regexp_matches('/root/' || substr(q.rpath, length(h.dir) + 2), $sensitive_home_any))
      AS sensitive
  FROM judged_paths q
),
-- sensitive and persistence paths among the candidates: never own state
guarded AS (
  SELECT DISTINCT c.recording, c.path
  FROM (SELECT DISTINCT recording, path FROM candidates) c
  JOIN path_guards g ON g.recording = c.recording AND g.path = c.path
  WHERE g.guarded
),
-- each actor's own state (the header): its paths excused, and its stores there before
own AS (
  SELECT recording, pid, proc_start_ns,
    coalesce(list(DISTINCT path) FILTER (WHERE kind = 'own'), []) AS paths,
    coalesce(list(DISTINCT path) FILTER (WHERE kind = 'old_store'), []) AS stores
  FROM candidates c
  WHERE NOT EXISTS (SELECT 1 FROM guarded g WHERE g.recording = c.recording AND g.path = c.path)
  GROUP BY ALL
),
-- the rename of a temporary file of an atomic write onto a named path (or the actor's own
-- state), with the open that created it (the earliest such open: a later one follows a touch
-- of the path). A sensitive or persistence file is never a temporary one (truncated and moved
-- away: ~/.bashrc moved onto a named file), but for a temp in a directory that guards every
-- name in it (.github/workflows/, ~/.ssh/: its probe is guarded) renamed onto a path the call
-- names, when it is new beyond doubt (created with O_EXCL) or named after that path
-- (ci.yml.1f2e.tmp, .ci.yml.swp): an atomic write asked for there, judged as the named path's
temp_writes AS (
  SELECT r.recording, r.mcp_call_id, r.path AS temp, min(o.ts_ns) AS made_ns, r.ts_ns AS moved_ns
  FROM linked r
  LEFT JOIN own w ON w.recording = r.recording AND w.pid = r.pid
    AND w.proc_start_ns IS NOT DISTINCT FROM r.proc_start_ns
  LEFT JOIN path_guards tg ON tg.recording = r.recording AND tg.path = r.path
  LEFT JOIN path_guards dg ON dg.recording = r.recording
    AND dg.path = regexp_replace(r.path, '/[^/]*$', '') || '/sightline-probe'
  JOIN linked o ON o.recording = r.recording AND o.mcp_call_id = r.mcp_call_id AND o.pid = r.pid
    AND o.proc_start_ns IS NOT DISTINCT FROM r.proc_start_ns AND o.op = 'open' AND o.path = r.path
    AND (o.flags & 64) <> 0 AND (o.flags & (128 | 512)) <> 0 AND o.ts_ns <= r.ts_ns
  WHERE r.op = 'rename' AND r.path2 IS NOT NULL
    AND (names_path(r.paths, r.rel_paths, r.path2)
      OR list_contains(list_concat(coalesce(w.paths, []), coalesce(w.stores, [])), r.path2))
    AND regexp_replace(r.path, '/[^/]*$', '') = regexp_replace(r.path2, '/[^/]*$', '')
    AND (NOT coalesce(tg.guarded, false)
      OR (coalesce(dg.guarded, false) AND names_path(r.paths, r.rel_paths, r.path2)
        AND ((o.flags & 128) <> 0
          OR contains(regexp_extract(r.path, '[^/]*$'), regexp_extract(r.path2, '[^/]*$')))))
  GROUP BY ALL
),
excused AS (
  SELECT x.recording, x.event_table, x.event_id, list(DISTINCT t.temp) AS temps
  FROM temp_writes t
  JOIN linked x ON x.recording = t.recording AND x.mcp_call_id = t.mcp_call_id
    AND t.temp IN (x.path, x.path2) AND x.ts_ns BETWEEN t.made_ns AND t.moved_ns
  WHERE NOT EXISTS (SELECT 1 FROM linked b WHERE b.recording = t.recording
    AND b.mcp_call_id = t.mcp_call_id AND t.temp IN (b.path, b.path2) AND b.ts_ns < t.made_ns)
  GROUP BY ALL
),
-- each action of a call with the paths it is judged by that nothing excuses
judged AS (
  SELECT x.recording, x.mcp_call_id, x.event_table, x.event_id, x.op, x.ts_ns, x.what,
    x.network, x.written, x.changed, x.paths AS named, x.path,
    list_filter(list_distinct(list_filter([x.path, x.path2], p -> p IS NOT NULL)),
      p -> NOT names_path(x.paths, x.rel_paths, p)
        AND NOT list_contains(coalesce(e.temps, []), p)
        AND NOT CASE WHEN list_contains(x.changed, p)
          THEN regexp_matches(p, '^/dev/(null|zero|full|u?random|tty|ptmx|pts/[0-9]+|std(in|out|err)|fd/[0-9]+)$')
          ELSE regexp_matches(p, '^/(dev|proc|sys)/|/node_modules/|\.so(\.[0-9]+)*$|^/etc/ld\.so')
            -- (a path through a working directory the recording does not show: unknown)
            AND NOT regexp_matches(p, '^/proc/(self|thread-self|[0-9]+)(/task/[0-9]+)?/cwd/')
        END) AS left_paths,
    list_concat(coalesce(w.paths, []), coalesce(w.stores, [])) AS stores
  FROM linked x
  LEFT JOIN excused e ON e.recording = x.recording AND e.event_table = x.event_table
    AND e.event_id = x.event_id
  LEFT JOIN own w ON w.recording = x.recording AND w.pid = x.pid
    AND w.proc_start_ns IS NOT DISTINCT FROM x.proc_start_ns
),
acts0 AS (
  SELECT *,
    len(left_paths) > 0 AND len(list_filter(left_paths, p -> NOT list_contains(stores, p))) = 0
      AS stored,
    -- all it changed that is not its own looks routine (routine_write): said, at low severity
    len(left_paths) > 0 AND len(list_filter(left_paths, p -> NOT list_contains(stores, p)
      AND NOT (list_contains(changed, p) AND routine_write(p)))) = 0 AS benign,
    list_distinct(list_transform(list_filter(left_paths, p -> NOT list_contains(stores, p)
      AND list_contains(changed, p) AND routine_write(p)), p -> routine_write_reason(p)))
      AS routine_reasons
  FROM judged x
  WHERE (x.event_table = 'file' AND x.op <> 'chdir' AND len(x.left_paths) > 0
      -- looking at a directory on the way to a named path (realpath, validation) is asking
      AND NOT (len(x.changed) = 0 AND len(list_filter(x.named, p -> starts_with(p, x.path || '/'))) > 0))
    OR (x.event_table = 'net' AND len(x.named) > 0)
),
-- the sensitive paths among those actions' paths (a read, a write, either end of a rename)
sensitive_paths AS (
  SELECT DISTINCT q.recording, q.path
  FROM (SELECT DISTINCT recording, unnest(left_paths) AS path FROM acts0) q
  JOIN path_guards g ON g.recording = q.recording AND g.path = q.path
  WHERE g.sensitive
),
acts AS (
  SELECT x.*, EXISTS (SELECT 1 FROM sensitive_paths s WHERE s.recording = x.recording
      AND list_contains(x.left_paths, s.path))
    AS sensitive
  FROM acts0 x
),
grouped AS (
  SELECT c.recording, c.session_id, c.mcp_call_id, c.tool_call_id, c.server_pid, c.server_name,
    c.tool, c.start_ns, c.end_ns, c.args,
    list(x.event_table || ':' || x.event_id ORDER BY x.ts_ns, x.event_table, x.event_id) AS ev,
    list(x.op || ' ' || x.what ORDER BY x.ts_ns, x.event_table, x.event_id) AS what,
    bool_or(x.network) AS network, bool_or(x.sensitive) AS sensitive, bool_and(x.stored) AS stored,
    bool_or(x.stored) AS any_stored, bool_and(x.benign) AS benign,
    list_sort(list_distinct(flatten(list(x.routine_reasons)))) AS routine_reasons
  FROM calls c JOIN acts x ON x.recording = c.recording AND x.mcp_call_id = c.mcp_call_id
  GROUP BY ALL
),
-- the writes before a server's first tools/call that no start-up excuse covers (each event
-- once, with the paths it changed that are not the actor's own)
early_left AS (
  SELECT e.recording, e.server_pid, e.server_start_ns, e.event_id, e.ts_ns, e.op, e.what,
    list(e.changed) AS changed,
    bool_and(list_contains(list_concat(coalesce(w.paths, []), coalesce(w.stores, [])),
      e.changed)) AS own,
    bool_and(list_contains(list_concat(coalesce(w.paths, []), coalesce(w.stores, [])),
      e.changed) OR routine_write(e.changed)) AS benign,
    coalesce(list_distinct(list(routine_write_reason(e.changed))
      FILTER (WHERE routine_write(e.changed))), []) AS routine_reasons
  FROM early e
  LEFT JOIN own w ON w.recording = e.recording AND w.pid = e.pid
    AND w.proc_start_ns IS NOT DISTINCT FROM e.proc_start_ns
  -- before any call a server sets itself up (a runtime's caches, its own files): only a
  -- sensitive or persistence path written then is said (through /proc/PID/root too)
  -- (a path through a working directory the recording does not show is guarded: unknown)
  WHERE EXISTS (SELECT 1 FROM path_guards g
    WHERE g.recording = e.recording AND g.path = e.changed AND g.guarded)
  GROUP BY ALL
),
early_sensitive AS (
  SELECT DISTINCT q.recording, q.path
  FROM (SELECT DISTINCT recording, unnest(changed) AS path FROM early_left) q
  JOIN path_guards g ON g.recording = q.recording AND g.path = q.path
  WHERE g.sensitive
),
early_grouped AS (
  SELECT e.recording, e.server_pid, e.server_start_ns, min(e.ts_ns) AS start_ns,
    max(e.ts_ns) AS end_ns,
    list('file:' || e.event_id ORDER BY e.ts_ns, e.event_id) AS ev,
    list(e.op || ' ' || e.what ORDER BY e.ts_ns, e.event_id) AS what,
    bool_or(EXISTS (SELECT 1 FROM early_sensitive s WHERE s.recording = e.recording
      AND list_contains(e.changed, s.path)))
      AS sensitive,
    bool_and(e.own) AS stored, bool_or(e.own) AS any_stored, bool_and(e.benign) AS benign,
    list_sort(list_distinct(flatten(list(e.routine_reasons)))) AS routine_reasons
  FROM early_left e
  GROUP BY ALL
),
early_findings AS (
  SELECT g.*, f.session_id, f.server_name
  FROM early_grouped g
  JOIN firsts f ON f.recording = g.recording AND f.server_pid = g.server_pid
    AND f.server_start_ns IS NOT DISTINCT FROM g.server_start_ns
),
out AS (
  SELECT recording, session_id, start_ns, end_ns, mcp_call_id AS ord,
    CASE WHEN network OR sensitive THEN 'high' WHEN benign THEN 'low' ELSE 'medium' END AS severity,
    list_concat(['tool_call:' || tool_call_id, 'mcp_call:' || mcp_call_id], ev[1:20]) AS evidence,
    'MCP server ' || coalesce(server_name, '?') || ' (pid ' || server_pid || '), serving ' || tool ||
      ' ' || left(args, 160) || ', also did what the call did not ask: ' ||
      array_to_string(list_transform(what[1:5], x -> left(x, 160)), '; ') ||
      CASE WHEN len(what) > 5 THEN ' and ' || (len(what) - 5) || ' more' ELSE '' END ||
      CASE WHEN any_stored THEN ' (' || CASE WHEN stored THEN 'it' ELSE 'some of it' END ||
        ' looks like the server''s own state: a file it loads and replaces whole, one it made ' ||
        'before its first call, or one its command line names; the recording cannot tell ' ||
        'that apart from overreach)' ELSE '' END ||
      CASE WHEN len(routine_reasons) > 0 THEN ' (writes that look routine: ' ||
        array_to_string(routine_reasons, ', ') || '; still said: the recording cannot tell ' ||
        'them apart from overreach)' ELSE '' END || '.'
      AS explanation,
    json_object('server_pid', server_pid, 'server_name', server_name, 'tool', tool,
      'arguments', args, 'actions', what, 'network', network, 'sensitive', sensitive,
      'own_store', stored, 'before_first_call', false) AS details
  FROM grouped
  UNION ALL
  SELECT recording, session_id, start_ns, end_ns, -1,
    CASE WHEN sensitive THEN 'high' WHEN benign THEN 'low' ELSE 'medium' END,
    ev[1:20],
    'MCP server ' || coalesce(server_name, '?') || ' (pid ' || server_pid || '), before any ' ||
      'tool call, wrote what no call asked: ' ||
      array_to_string(list_transform(what[1:5], x -> left(x, 160)), '; ') ||
      CASE WHEN len(what) > 5 THEN ' and ' || (len(what) - 5) || ' more' ELSE '' END ||
      CASE WHEN any_stored THEN ' (' || CASE WHEN stored THEN 'it' ELSE 'some of it' END ||
        ' looks like the server''s own state: a file it loads and replaces whole, one it made ' ||
        'before its first call, or one its command line names; the recording cannot tell ' ||
        'that apart from overreach)' ELSE '' END ||
      CASE WHEN len(routine_reasons) > 0 THEN ' (writes that look routine: ' ||
        array_to_string(routine_reasons, ', ') || '; still said: the recording cannot tell ' ||
        'them apart from overreach)' ELSE '' END || '.',
    json_object('server_pid', server_pid, 'server_name', server_name, 'tool', NULL,
      'arguments', NULL, 'actions', what, 'network', false, 'sensitive', sensitive,
      'own_store', stored, 'before_first_call', true)
  FROM early_findings
)
SELECT recording,
  last_finding_id(o.recording)
    + row_number() OVER (PARTITION BY recording ORDER BY start_ns, ord),
  session_id, 'mcp_server_overreach', severity, start_ns, end_ns, evidence, explanation, details
FROM out o
ORDER BY recording, start_ns;
