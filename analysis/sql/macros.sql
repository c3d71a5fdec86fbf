-- macros: the rules the analysis, correlation, detectors, reports and observer share, each
-- defined once here (created in every analysed database before anything that uses them).
--
-- opens_for_writing: open(2) flags that can change the file: write access (O_WRONLY 1,
-- O_RDWR 2), O_CREAT (64) or O_TRUNC (512).
CREATE OR REPLACE MACRO opens_for_writing(flags) AS
  (flags & 3) <> 0 OR (flags & 64) <> 0 OR (flags & 512) <> 0;
-- pseudo_file: device and kernel pseudo-files (under /dev, /proc and /sys), which no write
-- to counts as changing the file system; not /dev/shm, a real tmpfs whose files (POSIX shared
-- memory, semaphores, files processes share) are made, written and removed like any other,
-- nor a path through a process's root or working directory (/proc/self/root/etc/x is /etc/x
-- as that process sees it: `proc_root_path`).
CREATE OR REPLACE MACRO pseudo_file(path) AS
  regexp_matches(path, '^/(dev|proc|sys)/') AND NOT starts_with(path, '/dev/shm/')
  AND NOT regexp_matches(path, '^/proc/(self|thread-self|[0-9]+)(/task/[0-9]+)?/(root|cwd)/');
-- proc_root_path: a path through a process's root directory (/proc/self/root/..., also
-- thread-self, a pid, a task) as the path it names from the root (the process's own root: as
-- the machine's when it did not chroot), for matching path patterns; any other path as it is.
CREATE OR REPLACE MACRO proc_root_path(path) AS
  regexp_replace(path, '^/proc/(self|thread-self|[0-9]+)(/task/[0-9]+)?/root/', '/');
-- routine_write: a write that programs make on their own as they run, which a detector still
-- says but at low severity with `routine_write_reason`: POSIX shared memory and semaphores in
-- /dev/shm (Python's multiprocessing; not a library put there), a process's own settings under
-- /proc/PID (oom_score_adj as Chromium's zygote sets it, comm as pthread_setname_np does,
-- setgroups/uid_map/gid_map as a user-namespace sandbox does, attr/*, timerslack_ns,
-- coredump_filter; not /proc/sys, nor another's memory), and a package manager or runtime
-- unpacking a package into node_modules or site-packages, or a library into a ~/.cache or
-- ~/.npm directory (not a .pth file, which Python runs at start-up; a log or data file written
-- in ~/.cache is not routine).
CREATE OR REPLACE MACRO routine_write(path) AS
  (starts_with(path, '/dev/shm/') AND NOT regexp_matches(path, '\.so(\.[0-9]+)*$'))
  OR regexp_matches(path, '^/proc/(self|thread-self|[0-9]+)(/task/[0-9]+)?/(oom_score_adj|oom_adj|comm|setgroups|uid_map|gid_map|attr/[^/]+|timerslack_ns|coredump_filter)$')
  OR ((regexp_matches(path, '/(node_modules|site-packages|dist-packages)/')
      OR (regexp_matches(path, '/\.(cache|npm)/') AND regexp_matches(path, '\.so(\.[0-9]+)*$')))
    AND NOT regexp_matches(path, '\.pth$'));
-- routine_write_reason: what a `routine_write` path is, said in a finding.
CREATE OR REPLACE MACRO routine_write_reason(path) AS
  CASE
    WHEN starts_with(path, '/dev/shm/') THEN 'shared memory'
    WHEN starts_with(path, '/proc/') THEN 'a process''s own settings'
    ELSE 'a package manager or runtime unpacking'
  END;
-- writes_file: a successful file event that writes what it names (a pseudo-file too): an
-- unlink, rename, mkdir, rmdir, link, symlink, chmod, chown, truncate or time change, or an
-- open for writing, creating or truncating.
CREATE OR REPLACE MACRO writes_file(op, flags, ret) AS
  ret >= 0 AND (
    op IN ('unlink', 'rename', 'mkdir', 'rmdir', 'link', 'symlink', 'chmod', 'chown',
      'truncate', 'utimes')
    OR (op = 'open' AND opens_for_writing(flags))
  );
-- changed_paths: the paths a file event changes: a rename both of its own (the source goes,
-- the target is made), a link or symlink only the new name (`path2`: their `path` is the file
-- linked to, or the symlink's target, which they leave as it is: `ln -s /dev/null x` makes x),
-- any other the path.
CREATE OR REPLACE MACRO changed_paths(op, path, path2) AS
  CASE
    WHEN op = 'rename' THEN list_distinct([path, coalesce(path2, path)])
    WHEN op IN ('link', 'symlink') THEN [coalesce(path2, path)]
    ELSE [path]
  END;
-- changes_files: a file event that changed the file system: a successful unlink, rename,
-- mkdir, rmdir, link, symlink, chmod, chown, truncate or time change (utimes), or open for
-- writing, creating or truncating, of a path that is not a pseudo-file (of `changed_paths`:
-- a symlink to /dev/null is a new file, a rename out of /dev/shm a file made). (memfd_create
-- makes no file in any directory; chdir changes only the process.)
CREATE OR REPLACE MACRO changes_files(op, flags, ret, path, path2) AS
  writes_file(op, flags, ret) AND CASE
    WHEN op IN ('link', 'symlink') THEN NOT pseudo_file(coalesce(path2, path))
    WHEN op = 'rename' THEN NOT pseudo_file(path) OR NOT pseudo_file(coalesce(path2, path))
    ELSE NOT pseudo_file(path)
  END;
-- names_path: whether a tool call's arguments name path p: an absolute path among them
-- (`paths`, no trailing slash), p under one of those, or p ending with a relative path among
-- them (`rel_paths`, each with a leading `/`).
CREATE OR REPLACE MACRO names_path(paths, rel_paths, p) AS
  list_contains(paths, p)
  OR len(list_filter(paths, x -> starts_with(p, x || '/'))) > 0
  OR len(list_filter(rel_paths, x -> ends_with(p, x))) > 0;
-- signal_name: a signal's name by its number as Linux numbers them on x86-64 and arm64
-- (asm-generic/signal.h), as the capture writes sent signals (`privilege.request`, from
-- capture/signal_names.ts): `SIGTERM`, `SIGRTMIN+2`; another number as itself; null for null.
CREATE OR REPLACE MACRO signal_name(n) AS
  CASE
    WHEN n BETWEEN 1 AND 31 THEN ['SIGHUP', 'SIGINT', 'SIGQUIT', 'SIGILL', 'SIGTRAP', 'SIGABRT',
      'SIGBUS', 'SIGFPE', 'SIGKILL', 'SIGUSR1', 'SIGSEGV', 'SIGUSR2', 'SIGPIPE', 'SIGALRM',
      'SIGTERM', 'SIGSTKFLT', 'SIGCHLD', 'SIGCONT', 'SIGSTOP', 'SIGTSTP', 'SIGTTIN', 'SIGTTOU',
      'SIGURG', 'SIGXCPU', 'SIGXFSZ', 'SIGVTALRM', 'SIGPROF', 'SIGWINCH', 'SIGIO', 'SIGPWR',
      'SIGSYS'][n]
    WHEN n = 32 THEN 'SIGRTMIN'
    WHEN n BETWEEN 33 AND 64 THEN 'SIGRTMIN+' || (n - 32)
    ELSE n::VARCHAR
  END;
-- signal_op: the privilege operations that send a signal (`privilege.op`).
CREATE OR REPLACE MACRO signal_op(op) AS
  op IN ('kill', 'tkill', 'tgkill', 'pidfd_send_signal', 'rt_sigqueueinfo');
-- authority_host, authority_port: the host and port a URI authority names (a Host header or
-- :authority, CONNECT's target), by the one rule of protocols/authority.ts `hostPort`
-- (analysis/authority_sql_test.ts runs both on the same inputs): SP and HTAB around it
-- dropped (RFC 9110 OWS; no other space), userinfo dropped, the host in ASCII lower case
-- (A-Z only: non-ASCII as written), an IP literal without its brackets, a name without its
-- FQDN trailing dot; the port named, else `default_port` (also for an empty one); both null
-- when it names no host, its host holds a character no host holds (space, control, /?#), or
-- its port is not 0-65535.
CREATE OR REPLACE MACRO authority_split(a) AS
  regexp_extract(regexp_replace(regexp_replace(a, '^[ \t]+|[ \t]+$', '', 'g'), '(?s)^.*@', ''),
    '^(\[[0-9A-Za-z:._~%!$&''()*+,;=\-]+\]|[^:\[\]]+)(?::([0-9]*))?$', ['h', 'p']);
CREATE OR REPLACE MACRO authority_valid(s) AS
  s.h <> '' AND (s.p = '' OR TRY_CAST(s.p AS INTEGER) <= 65535)
  AND (s.h[1] = '[' OR regexp_full_match(s.h,
    '(?:[A-Za-z0-9\-._~!$&''()*+,;=]|%[0-9A-Fa-f]{2}|[^\x00-\x7f])+')
    AND regexp_replace(s.h, '\.$', '') <> '');
CREATE OR REPLACE MACRO authority_host(a) AS
  CASE WHEN authority_valid(authority_split(a)) THEN
    translate(CASE WHEN authority_split(a).h[1] = '['
      THEN substr(authority_split(a).h, 2, length(authority_split(a).h) - 2)
      ELSE regexp_replace(authority_split(a).h, '\.$', '') END,
      'ABCDEFGHIJKLMNOPQRSTUVWXYZ', 'abcdefghijklmnopqrstuvwxyz')
  END;
CREATE OR REPLACE MACRO authority_port(a, default_port) AS
  CASE WHEN authority_valid(authority_split(a)) THEN
    coalesce(TRY_CAST(nullif(authority_split(a).p, '') AS INTEGER), default_port)
  END;
-- dns_name: a DNS question's name as hosts are compared with it: lower case, without the
-- trailing dot of its fully qualified form (`Evil.Test.` is `evil.test`, as authority_host
-- reads a Host or a URL's host).
CREATE OR REPLACE MACRO dns_name(qname) AS rtrim(lower(qname), '.');
-- scheme_port: the port a URI scheme defaults to (lower case), as protocols/authority.ts
-- DEFAULT_PORT: http and ws 80, https and wss 443, ftp 21; null for another scheme.
CREATE OR REPLACE MACRO scheme_port(scheme) AS
  CASE scheme WHEN 'http' THEN 80 WHEN 'ws' THEN 80 WHEN 'https' THEN 443 WHEN 'wss' THEN 443
    WHEN 'ftp' THEN 21 END;
-- first_prompt: the prompt of a group of LLM calls (a session, a conversation), an aggregate:
-- the new user text of its first main call that has one (of main calls at the same time, the
-- first numbered).
CREATE OR REPLACE MACRO first_prompt(user_input, kind, request_ns, llm_call_id) AS
  arg_min(user_input, (request_ns, llm_call_id))
    FILTER (WHERE kind = 'main' AND user_input IS NOT NULL);
-- A time is joined with only the time windows of its own second (`second = ts_ns // 1000000000`),
-- not with every window of its session or server (work growing with the square of the session's
-- length): window_seconds lists the seconds a window spans, for windows of up to a day;
-- long_window is a longer one (whatever its timestamps say), which is joined on its session
-- alone instead, as listing it would cost a row per second.
CREATE OR REPLACE MACRO window_seconds(start_ns, end_ns) AS
  range(start_ns // 1000000000, end_ns // 1000000000 + 1);
CREATE OR REPLACE MACRO long_window(start_ns, end_ns) AS end_ns - start_ns > 86400000000000;
-- by_second(t): the windows of table (or CTE) t, named by a string, with columns start_ns and
-- end_ns, of up to a day, each once per second it spans (column `second`); over_a_day(t): its
-- longer ones. (query_table binds t when used, so these are made before the tables exist.)
CREATE OR REPLACE MACRO by_second(t) AS TABLE
  SELECT *, unnest(window_seconds(start_ns, end_ns)) AS second
  FROM query_table(t)
  WHERE NOT long_window(start_ns, end_ns);
CREATE OR REPLACE MACRO over_a_day(t) AS TABLE
  SELECT * FROM query_table(t) WHERE long_window(start_ns, end_ns);
-- command_text: a command or an exec's argv (its program's basename, then its arguments) as
-- commands are compared: quotes and backslashes dropped (agents re-quote commands in their
-- shells' argv), white space collapsed, padded with one space each side so that `contains`
-- finds whole words (`tool_terms` holds a command's term so normalised, unpadded).
CREATE OR REPLACE MACRO command_text(s) AS
  ' ' || trim(regexp_replace(regexp_replace(s, '[''"\\]', '', 'g'), '\s+', ' ', 'g')) || ' ';
CREATE OR REPLACE MACRO argv_text(argv) AS
  command_text(array_to_string(list_concat([regexp_extract(argv[1], '[^/]+$')], argv[2:]), ' '));
-- in_tool_window(t): each row of t (columns recording, session_id and at_ns, a time) with
-- every tool call whose window (`tool_windows`) in its session holds that time: the row's
-- columns, tool_call_id and win_start (the window's start).
CREATE OR REPLACE MACRO in_tool_window(t) AS TABLE
  SELECT a.*, w.tool_call_id, w.start_ns AS win_start
  FROM query_table(t) a
  JOIN by_second('tool_windows') w
    ON w.recording = a.recording AND w.session_id = a.session_id
    AND w.second = a.at_ns // 1000000000 AND a.at_ns BETWEEN w.start_ns AND w.end_ns
  UNION ALL
  SELECT a.*, w.tool_call_id, w.start_ns
  FROM query_table(t) a
  JOIN over_a_day('tool_windows') w
    ON w.recording = a.recording AND w.session_id = a.session_id
    AND a.at_ns BETWEEN w.start_ns AND w.end_ns;
-- inc_key(pid, start_ns): a process incarnation's identity, as processes.sql knows it (a pid
-- reused is another process). The walks up parents (lineage.sql, lineage_cut.sql,
-- process_programs.sql, llm_call_agents.sql with an event's time for start_ns,
-- mcp_launchers) keep the keys they passed (walk_path) and stop at one already on them
-- (on_path): a loop of parents (a damaged recording, or pids reused with their forks unseen)
-- is cut where it closes, and said as a `cycle`, not walked to the limit and said as
-- `truncated`.
CREATE OR REPLACE MACRO inc_key(pid, start_ns) AS {'pid': pid, 'start_ns': start_ns};
-- walk_path(path, pid, start_ns, next_pid, next_start_ns): a walk's `path` once it steps from
-- the incarnation it is at (pid, start_ns) up to the next. A parent started no later than its
-- child (the ASOF joins that find it), so a walk up never meets again an incarnation of a
-- later start than the one it is at, and a loop's incarnations all started at one time: the
-- path holds only the walk's last incarnations of one start, and is null while each started
-- before the one below it (always, but in a loop or a damaged stretch): no list made on each
-- of a walk's rows (measured, reports/bench/analysis.md, session 40).
CREATE OR REPLACE MACRO walk_path(path, pid, start_ns, next_pid, next_start_ns) AS
  CASE WHEN next_start_ns = start_ns
    THEN list_append(coalesce(path, [inc_key(pid, start_ns)]), inc_key(next_pid, next_start_ns))
  END;
-- on_path(path, pid, start_ns, next_pid, next_start_ns): whether that step meets an incarnation
-- already on the walk's path (walk_path): a loop closed.
CREATE OR REPLACE MACRO on_path(path, pid, start_ns, next_pid, next_start_ns) AS
  coalesce(next_start_ns = start_ns AND list_contains(coalesce(path, [inc_key(pid, start_ns)]),
    inc_key(next_pid, next_start_ns)), false);
-- pid_incarnations(t): the process incarnations of table t (named by a string: `lineage` or
-- `processes`) with `from_ns`, the time from which a time of its pid is its: its start, or
-- any time at all for a pid's first incarnation (something a process did before the first
-- thing recorded of it, e.g. an MCP message of a process joined with --pid, is its first
-- incarnation's). An ASOF JOIN on (recording, pid) and at_ns >= from_ns finds the incarnation
-- of a pid alive at a time (a pid reused is another process; ties are impossible, see
-- processes.sql).
CREATE OR REPLACE MACRO pid_incarnations(t) AS TABLE
  SELECT *,
    CASE WHEN row_number() OVER (PARTITION BY recording, pid ORDER BY start_ns) = 1
      THEN -9223372036854775808 ELSE start_ns END AS from_ns
  FROM query_table(t);
-- mcp_launchers(calls_t, lineage_t): the processes between an MCP server and the client that
-- started it, incarnation by incarnation (t: `mcp_calls`, `lineage`): what launched the server
-- for its client (`npx`, `uvx`, `sh -c`), found by walking up the server's lineage (ppid and
-- parent_start_ns, at most 64 generations, never round a loop of parents: inc_key) to the
-- client; none when the walk does not reach the client (a server reached over a socket, or
-- one that is its client's own launcher). The
-- server and the client are each the incarnation of its pid alive at the call
-- (pid_incarnations). A launcher is part of the server: what it does is judged as the
-- server's (mcp_links.sql, findings_mcp_overreach.sql).
CREATE OR REPLACE MACRO mcp_launchers(calls_t, lineage_t) AS TABLE
  WITH RECURSIVE incs AS (FROM pid_incarnations(lineage_t)),
  pairs AS (
    SELECT DISTINCT m.recording, m.server_pid, v.start_ns AS server_start_ns, m.client_pid,
      c.start_ns AS client_start_ns
    FROM query_table(calls_t) m
    ASOF JOIN incs v
      ON v.recording = m.recording AND v.pid = m.server_pid AND m.start_ns >= v.from_ns
    ASOF JOIN incs c
      ON c.recording = m.recording AND c.pid = m.client_pid AND m.start_ns >= c.from_ns
    WHERE m.server_pid IS NOT NULL AND m.client_pid IS NOT NULL
  ),
  up AS (
    SELECT p.recording, p.server_pid, p.server_start_ns, p.client_pid, p.client_start_ns,
      l.ppid AS pid, l.parent_start_ns AS start_ns, 1 AS depth,
      walk_path(NULL, l.pid, l.start_ns, l.ppid, l.parent_start_ns) AS path
    FROM pairs p
    JOIN query_table(lineage_t) l ON l.recording = p.recording AND l.pid = p.server_pid
      AND l.start_ns = p.server_start_ns
    WHERE l.ppid IS NOT NULL
    UNION ALL
    SELECT u.recording, u.server_pid, u.server_start_ns, u.client_pid, u.client_start_ns,
      l.ppid, l.parent_start_ns, u.depth + 1,
      walk_path(u.path, l.pid, l.start_ns, l.ppid, l.parent_start_ns)
    FROM up u
    JOIN query_table(lineage_t) l ON l.recording = u.recording AND l.pid = u.pid
      AND l.start_ns IS NOT DISTINCT FROM u.start_ns
    WHERE u.depth < 64 AND l.ppid IS NOT NULL
      AND NOT on_path(u.path, l.pid, l.start_ns, l.ppid, l.parent_start_ns)
      AND NOT (u.pid = u.client_pid AND u.start_ns IS NOT DISTINCT FROM u.client_start_ns)
  )
  SELECT u.recording, u.server_pid, u.server_start_ns, u.client_pid, u.client_start_ns, u.pid,
    u.start_ns
  FROM up u
  WHERE NOT (u.pid = u.client_pid AND u.start_ns IS NOT DISTINCT FROM u.client_start_ns)
    AND EXISTS (SELECT 1 FROM up k WHERE k.recording = u.recording
      AND k.server_pid = u.server_pid AND k.server_start_ns IS NOT DISTINCT FROM u.server_start_ns
      AND k.client_pid = u.client_pid AND k.client_start_ns IS NOT DISTINCT FROM u.client_start_ns
      AND k.pid = k.client_pid AND k.start_ns IS NOT DISTINCT FROM k.client_start_ns);
-- agent_of_pid(t): each pid's agent, the one its LLM calls (t: `llm_calls`) name most often
-- (of agents named equally often, that of its first call): processes.sql names an agent
-- process's by it and sessions.sql a session's. (t is a parameter so that query_table binds
-- it when used, not when the macro is made.)
CREATE OR REPLACE MACRO agent_of_pid(t) AS TABLE
  SELECT recording, pid, arg_max(agent, (n, -first_id)) AS agent
  FROM (
    SELECT recording, pid, agent, count(*) AS n, min(llm_call_id) AS first_id
    FROM query_table(t) WHERE agent IS NOT NULL
    GROUP BY ALL
  )
  GROUP BY ALL;
-- tcp_peers(t): each traced TCP socket's other end (t: `ipc`, its rows of kind tcp), columns
-- recording, inode and peer: the end any row of the connection names (its own rows'
-- `peer_inode`, or the rows of the other end naming it; capture writes a row without its peer
-- when that was not seen within about a second). The MCP and cleartext HTTP streams
-- (mcp/sql/ipc_streams.sql) and the detectors' sockets (net_destinations.sql) both pair by it.
CREATE OR REPLACE MACRO tcp_peers(t) AS TABLE
  SELECT recording, inode, max(peer) AS peer FROM (
    SELECT recording, inode, peer_inode AS peer FROM query_table(t)
    WHERE kind = 'tcp' AND peer_inode IS NOT NULL
    UNION ALL
    SELECT recording, peer_inode, inode FROM query_table(t)
    WHERE kind = 'tcp' AND peer_inode IS NOT NULL
  ) GROUP BY ALL;
-- program_name(exe, argv, cwd): the name of the program a process ran, from its exec (`exe`:
-- the file executed, `argv`, `cwd`: its working directory), as llm_call_agents.sql names an
-- agent its User-Agent did not name. A file inside an npm package (`.../node_modules/PKG/...`,
-- PKG scoped or not, the last node_modules) is named by the package, whatever runs it: the
-- package's name wins over its bin's, so one program has one name however it was installed
-- or started. A platform package, the one npm installs of `PKG-<os>-<arch>[-<libc>]` for this
-- machine (package.json `os`/`cpu`, Node's process.platform and process.arch words), is
-- named as PKG: GitHub Copilot CLI's own executable `.../@github/copilot-linux-x64/copilot`
-- and its script `.../@github/copilot/index.js` are both `@github/copilot`. A link is no
-- package: its name is the command's (`node_modules/.bin/cn`, a global install's
-- `/usr/local/bin/cn` are `cn`; llm_call_agents.sql follows a node script's link to its
-- package when the recording shows which: npm_link_script).
-- A script's runtime (node, bun, deno, python, pypy, ruby, perl, php, java: the file executed,
-- or argv[0] when the kernel ran a `#!` script's interpreter) is not the program: its script
-- is, the first argument that is no option nor an option's value (`node --require x cli.js`,
-- `node --max-old-space-size 4096 a.js`, `ruby -I lib a.rb`, `java -cp lib/* Main`; a number is
-- no script; deno's and bun's `run`, deno's `task` skipped: a task by its name), named by its
-- npm package as above, else by its base name without a script extension
-- (`/usr/local/bin/aider`, `agent.py` is `agent`), unless that is a generic one (index, main,
-- cli, app, run, start, server, __main__, bin): then by the nearest directory above it, a
-- relative script's through `cwd`, that is not a build's or source tree's (dist, build, lib,
-- src, bin, out, target, __pycache__): `.../myagent/dist/index.js` is `myagent`, `python3
-- main.py` in /srv/tool is `tool`; python's `-m MODULE` (or `-mMODULE`) by the module; java's
-- `-jar FILE` by the jar, without its Maven version (`acme-agent-1.2.0-all.jar` is
-- `acme-agent`), its main class by the class's name as given (`com.acme.Agent`), its
-- `-m MODULE[/CLASS]` by the module, a source file (`Agent.java`) as a script; code given
-- inline (`-e`, `--eval=...`, `-p`, python's `-c`, `deno eval`), or no script, by the runtime.
-- Any other program by the base name of the file executed. Null when neither is known.
-- (A value used more than once is bound once as a lambda's parameter, `list_transform([v],
-- x -> ...)[1]`: a macro's argument is copied into each use, and copies of copies made
-- binding the whole rule slow.)
CREATE OR REPLACE MACRO path_base(path) AS nullif(regexp_extract(path, '[^/]*$'), '');
-- (the os word and the cpu word both: a package named after an OS alone, `node-linux`, is no
-- platform build)
CREATE OR REPLACE MACRO npm_platform_base(pkg) AS
  regexp_replace(pkg, '-(linux|darwin|win32|freebsd|openbsd|netbsd|sunos|aix|android|cygwin)' ||
    '-(x64|arm64|ia32|arm|ppc64|ppc64le|s390x|riscv64|loong64|mips64el|x86_64|aarch64|universal)' ||
    '(-(musl|gnu|glibc|baseline|gnueabihf|msvc))*$', '');
-- the npm package a path lies in (see above), or null
CREATE OR REPLACE MACRO npm_package(path) AS
  list_transform([nullif(regexp_extract(path, '.*/node_modules/((?:@[^/]+/)?[^/]+)/', 1), '')],
    raw -> CASE WHEN raw IS NULL OR raw = '.bin' THEN NULL
      -- a platform package whose name is its platform alone (`@esbuild/linux-x64`) is kept
      ELSE list_transform([npm_platform_base(raw)],
        b -> CASE WHEN regexp_matches(b, '^(@[^/]+/)?[^/]+$') THEN b ELSE raw END)[1] END)[1];
CREATE OR REPLACE MACRO script_runtime(path) AS
  regexp_full_match(path_base(path),
    '(node|nodejs|bun|deno|java|(python|pypy|ruby|perl|php)[0-9.]*)');
CREATE OR REPLACE MACRO program_runtime(exe, argv) AS
  CASE WHEN script_runtime(exe) THEN path_base(exe)
    WHEN script_runtime(argv[1]) THEN path_base(argv[1]) END;
-- java's options whose value is the next argument
CREATE OR REPLACE MACRO java_value_option(a) AS
  a IN ('-cp', '-classpath', '--class-path', '-p', '--module-path', '--upgrade-module-path',
    '--add-modules', '--limit-modules', '--add-reads', '--add-exports', '--add-opens',
    '--patch-module', '--enable-native-access', '--source', '--illegal-access');
-- the index in argv of a runtime `rt`'s script (or module, or main class), or of the option
-- giving its code
CREATE OR REPLACE MACRO script_at(rt, argv) AS
  list_filter(range(2, len(argv) + 1), i ->
    (rt <> 'java' AND (argv[i] IN ('-e', '--eval', '-p', '--print')
      OR starts_with(argv[i], '--eval=') OR starts_with(argv[i], '--print=')))
    OR (argv[i] = '-c' AND regexp_matches(rt, '^(python|pypy)'))
    OR (regexp_matches(argv[i], '^-m[^-]') AND regexp_matches(rt, '^(python|pypy)'))
    OR (rt = 'java' AND starts_with(argv[i], '--module='))
    OR (i = 2 AND rt = 'deno' AND argv[i] = 'eval')
    OR (NOT starts_with(argv[i], '-') AND NOT regexp_full_match(argv[i], '[0-9]+')
      AND argv[i - 1] NOT IN ('-r', '--require', '--import', '--loader', '--experimental-loader',
        '-C', '--conditions', '--inspect-port', '--title', '--input-type', '-W', '-X',
        '--config', '--import-map', '--env-file', '--cwd', '--localstorage-file', '-I',
        '--stack-size', '--max-old-space-size', '--max-semi-space-size', '--redirect-warnings',
        '--icu-data-dir', '--openssl-config', '--diagnostic-dir', '--report-dir',
        '--watch-path', '--unhandled-rejections', '--dns-result-order')
      AND NOT (argv[i - 1] = '-c' AND rt = 'deno')
      AND NOT (rt = 'java' AND (java_value_option(argv[i - 1]) OR starts_with(argv[i], '@')))
      AND NOT (i = 2 AND rt IN ('deno', 'bun') AND argv[i] IN ('run', 'x'))
      AND NOT (i = 2 AND rt = 'deno' AND argv[i] = 'task')))[1];
-- a script's path made whole through the working directory it was run in
CREATE OR REPLACE MACRO script_path(path, cwd) AS
  CASE WHEN starts_with(path, '/') OR cwd IS NULL THEN path ELSE cwd || '/' || path END;
-- the nearest directory above a path's file that is not a build's or source tree's
CREATE OR REPLACE MACRO meaningful_dir(path) AS
  list_transform([string_split(path, '/')], parts -> list_filter(
    list_slice(parts, 1, len(parts) - 1), d -> d NOT IN ('', '.', '..', 'dist', 'build', 'lib', 'src', 'bin', 'out', 'target',
      '__pycache__', 'usr', 'local'))[-1])[1];
-- a file's base name without its script extension; a jar's without its Maven version too
-- (`artifactId-version[-classifier].jar`)
CREATE OR REPLACE MACRO script_base(path) AS
  list_transform([path_base(path)], b -> nullif(CASE WHEN regexp_matches(b, '\.jar$')
      THEN regexp_replace(b, '(-[0-9][^/]*)?\.jar$', '')
    ELSE regexp_replace(b, '\.([cm]?[jt]s|pyc?|rb|pl|php|java)$', '') END, ''))[1];
CREATE OR REPLACE MACRO script_name(path) AS
  list_transform([path], p -> list_transform([script_base(p)], b -> coalesce(npm_package(p),
    CASE WHEN b IN ('index', 'main', 'cli', 'app', 'run', 'start', 'server', '__main__', 'bin')
      THEN coalesce(meaningful_dir(p), b)
      ELSE b END))[1])[1];
CREATE OR REPLACE MACRO program_name_of(exe, argv, cwd, rt, i) AS
  CASE
    WHEN rt IS NULL THEN list_transform([coalesce(exe, argv[1])],
      f -> coalesce(npm_package(f), path_base(f)))[1]
    WHEN i IS NULL OR (starts_with(argv[i], '-') AND NOT regexp_matches(argv[i], '^-m[^-]')
        AND NOT (rt = 'java' AND starts_with(argv[i], '--module=')))
        OR (rt = 'deno' AND i = 2 AND argv[i] = 'eval')
      THEN rt
    WHEN rt = 'java' AND starts_with(argv[i], '--module=')
      THEN split_part(substr(argv[i], 10), '/', 1)
    WHEN rt = 'java' AND argv[i - 1] IN ('-m', '--module') THEN split_part(argv[i], '/', 1)
    -- a main class, not a file: by its name as given
    WHEN rt = 'java' AND argv[i - 1] <> '-jar' AND NOT regexp_matches(argv[i], '\.java$')
      THEN argv[i]
    WHEN starts_with(argv[i], '-m') THEN substr(argv[i], 3)
    WHEN argv[i - 1] = '-m' THEN argv[i]
    WHEN argv[i - 1] = 'task' AND i = 3 AND rt = 'deno' THEN argv[i]
    ELSE coalesce(script_name(script_path(argv[i], cwd)), rt)
  END;
-- npm_link_script(exe, argv, cwd): when node (or bun) runs a script that lies in no npm
-- package, the script's path: it may be a link into one, npm's `.bin` link
-- (`.../node_modules/.bin/cn`) or a global install's (`/usr/local/bin/cn` ->
-- `../lib/node_modules/@continuedev/cli/dist/index.js`), which node resolves to its real path
-- before it loads it; llm_call_agents.sql follows it by what the process opened. Else null.
CREATE OR REPLACE MACRO npm_link_script(exe, argv, cwd) AS
  list_transform([program_runtime(exe, argv)], rt -> list_transform([script_at(rt, argv)],
    i -> CASE WHEN rt IN ('node', 'nodejs', 'bun') AND i IS NOT NULL
        AND NOT starts_with(argv[i], '-') AND npm_package(script_path(argv[i], cwd)) IS NULL
      THEN script_path(argv[i], cwd) END)[1])[1];
-- node_preloads(argv, cwd): what node's preload options name (`-r`/`--require`, `--import`,
-- `--loader`, `--experimental-loader`, as `-r X` or `--require=X`), loaded before the main
-- script: a package by its name (`dotenv/config` is `dotenv`), a path made whole
CREATE OR REPLACE MACRO node_preloads(argv, cwd) AS
  list_transform(list_filter(range(2, len(argv) + 1), i -> argv[i - 1] IN ('-r', '--require',
      '--import', '--loader', '--experimental-loader')
      OR regexp_matches(argv[i], '^--(require|import|loader|experimental-loader)=')),
    i -> list_transform([regexp_replace(argv[i], '^--[a-z-]+=', '')], v -> CASE
      WHEN regexp_matches(v, '^(\.|/|file:)') THEN script_path(regexp_replace(v, '^file://', ''), cwd)
      ELSE regexp_extract(v, '^((?:@[^/]+/)?[^/]+)', 1) END)[1]);
CREATE OR REPLACE MACRO program_name(exe, argv, cwd) AS
  list_transform([program_runtime(exe, argv)], rt -> list_transform([script_at(rt, argv)],
    i -> program_name_of(exe, argv, cwd, rt, i))[1])[1];
-- command_runner(name): whether an executable (by its base name, never a script's: an
-- agent's `script.py` or `env.py` is a program) is one whose work is to run the command it is
-- given, so that what it runs, or what ran it, is the program that matters: a
-- shell (POSIX sh and its kin, `-c` or a script), a wrapper that execs its arguments (env,
-- nohup, timeout, nice, setsid, stdbuf, xargs, sudo, flock, time...), a sandbox or namespace
-- launcher (bwrap, firejail, unshare, nsenter, chroot, systemd-run), an init for containers
-- (tini, dumb-init) and a package runner (npm's npx and `npm exec`, pnpm, yarn, bunx, uv's uvx,
-- pipx, corepack).
CREATE OR REPLACE MACRO command_runner(name) AS
  name IN ('sh', 'bash', 'dash', 'zsh', 'ksh', 'mksh', 'ash', 'fish', 'tcsh', 'csh', 'busybox',
    'env', 'nohup', 'timeout', 'nice', 'ionice', 'setsid', 'stdbuf', 'chrt', 'taskset',
    'xargs', 'sudo', 'su', 'runuser', 'doas', 'flock', 'time', 'script', 'unbuffer', 'watch',
    'bwrap', 'firejail', 'unshare', 'nsenter', 'chroot', 'systemd-run', 'tini', 'dumb-init',
    'npm', 'npx', 'pnpm', 'yarn', 'bunx', 'uv', 'uvx', 'pipx', 'corepack');
-- npm_runner_package(pkg): whether an npm package is one of the package managers' own, whose
-- scripts run what they are given (npm's `npx` and `npm exec`, pnpm's `dlx`, yarn's `dlx`,
-- corepack's shims)
CREATE OR REPLACE MACRO npm_runner_package(pkg) AS
  pkg IN ('npm', 'pnpm', '@pnpm/exe', 'yarn', '@yarnpkg/cli-dist', 'corepack');
-- runs_commands(exe, argv, cwd, kernel_exe): whether an exec (its file executed, argv, working
-- directory and the file the kernel ran after symlinks) ran a command runner: an executable by
-- its base name (command_runner) or, in an npm package, by its package; a runtime's script only
-- by its npm package (npm_runner_package), or a `.bin` link of one (`.bin/npx`)
CREATE OR REPLACE MACRO runs_commands(exe, argv, cwd, kernel_exe) AS
  list_transform([program_runtime(exe, argv)], rt -> coalesce(CASE
    WHEN rt IS NULL THEN command_runner(path_base(coalesce(exe, argv[1])))
      OR npm_runner_package(npm_package(kernel_exe)) OR npm_runner_package(npm_package(exe))
    ELSE list_transform([script_at(rt, argv)], i -> i IS NOT NULL
      AND NOT starts_with(argv[i], '-')
      AND list_transform([script_path(argv[i], cwd)], f -> npm_runner_package(npm_package(f))
        OR (regexp_matches(f, '/node_modules/\.bin/[^/]+$') AND command_runner(path_base(f))))[1])[1]
  END, false))[1];
