-- llm_call_agents: names the agent of each LLM call whose User-Agent named none (only an SDK's,
-- an HTTP client's or a runtime's, call_kind.ts `agentOf`: GitHub Copilot CLI sends
-- `OpenAI/JS 5.20.1`, Continue CLI `node-fetch`, Pi `Anthropic/JS 0.91.1`, Nanocoder
-- `ai-sdk/anthropic/3.0.140`, or none) by the program its process ran (macros.sql
-- `program_name`: `@github/copilot`, `acme-agent`, `kimi_cli`), from the raw `process` events;
-- a node script that is a link into an npm package, however installed (npm's `.bin` link
-- `node .../node_modules/.bin/cn`, a global install's `/usr/local/bin/cn`), by the package
-- its process opened first (node opens the link's real path: link_packages below,
-- `@continuedev/cli`), and a program the kernel found, after symlinks, inside a package by
-- that package (a `.bin` link to a native build), so that an npm package's name wins over its
-- bin's whenever the recording shows it; a link whose package it does not show keeps the
-- link's name (`cn`).
-- The calling process as it was at the call: its last event at or before it. A process the
-- capture joined (--pid, --comm: running before it) has a `joined` row, which says what it ran
-- then, as an exec does, and whose step up is its parent's, as a fork's. An exec ran a
-- program, after what the pid ran before it (`acme-agent` exec'ing `node -e` is still the
-- agent's); a fork ran its parent's, as the parent was at the fork (its own last event then;
-- a child reparented later is still its forker's); and so on up its lineage: through processes that forked and did not exec (a worker of a
-- worker), and past programs that name no agent, to the nearest one that does. Programs that
-- name none: a runtime with no script (`node -e ...`, `python3 -c ...`: the runtime's own
-- name) and a program whose work is to run the command it is given (macros.sql
-- `runs_commands`: a shell, `env`, `nohup`, `timeout`, a sandbox, a package runner, by the
-- executable's name, not a script's: `python3 env.py` is `env`'s), so
-- `node agent.js` -> `sh -c ...` -> `node -e ...` -> a forked worker is the agent's. When no
-- program of the lineage names an agent, the nearest program is the name (`node`). The walk
-- stops at an exit (a pid whose last event before then is an exit is another process's: a
-- pid reused, its fork not seen), at a process of which nothing is recorded (joined with
-- --pid by a capture older than `joined` rows), after 64 generations (none is that deep),
-- and at an event already walked (a loop: a fork recorded as its own parent's, or forks of one
-- time each the other's parent; a damaged recording). A call none of whose lineage ran a
-- recorded program stays unnamed. Each lineage is walked once for all the calls it made, and
-- each program named once. Before processes.sql, which names an agent process after its calls.
-- A walk that would go past 64 generations without having found a program that names an
-- agent is `cut`: its name (the nearest program, or none) may not be the agent's, said as a
-- problems row (llm_calls_cut.sql reads the names, kept for this connection as the temporary
-- table llm_call_names). The walk goes one generation past the limit only to know it was cut.
-- One that meets an event already on it (a loop of parents: a damaged recording) stops there,
-- and, when it found no program that names an agent, says the loop (`loop`, its pids) the same
-- way (llm_calls_cut.sql).
CREATE OR REPLACE TEMP TABLE llm_call_names AS
  WITH RECURSIVE calls AS (
    SELECT recording, llm_call_id, pid, request_ns FROM llm_calls
    WHERE agent IS NULL AND request_ns IS NOT NULL
  ),
  life AS (
    SELECT recording, pid, ts_ns, kind, ppid
    FROM process
    WHERE kind IN ('exec', 'fork', 'exit', 'joined')
  ),
  -- each call's process as it was: its last event at or before the call
  start AS (
    SELECT c.recording, c.llm_call_id, l.pid, l.ts_ns
    FROM calls c ASOF JOIN life l
      ON l.recording = c.recording AND l.pid = c.pid AND l.ts_ns <= c.request_ns
  ),
  -- the processes the walk below can reach: the callers and their parents, theirs, and so on
  -- by pid (each step reads only the parents of the pids just found)
  reach AS (
    SELECT DISTINCT recording, pid FROM start
    UNION
    SELECT DISTINCT l.recording, l.ppid
    FROM life l SEMI JOIN reach r ON r.recording = l.recording AND r.pid = l.pid
    WHERE l.kind <> 'exit'
  ),
  -- their events
  lineage AS MATERIALIZED (
    SELECT l.* FROM life l SEMI JOIN reach r ON r.recording = l.recording AND r.pid = l.pid
  ),
  -- each exec's or fork's step up: an exec's, the same pid's event before it (the program it
  -- replaced: `acme-agent` exec'ing `node -e`; or its fork), unless there is none or it is an
  -- exit (a pid reused); a fork's, and such an exec's, the parent's last event at or before it
  -- (a fork's parent as at the fork, not the pid's parent at a later exec: reparented to init)
  prev AS (
    SELECT e.recording, e.pid, e.ts_ns, e.ppid,
      e.kind = 'exec' AND s.kind IS NOT NULL AND s.kind <> 'exit' AS in_pid, s.ts_ns AS prev_ns
    FROM (FROM lineage WHERE kind <> 'exit') e ASOF LEFT JOIN lineage s
      ON s.recording = e.recording AND s.pid = e.pid AND s.ts_ns < e.ts_ns
  ),
  up AS MATERIALIZED (
    SELECT recording, pid, ts_ns, pid AS up_pid, prev_ns AS up_ns FROM prev WHERE in_pid
    UNION ALL
    SELECT e.recording, e.pid, e.ts_ns, p.pid, p.ts_ns
    FROM (FROM prev WHERE NOT in_pid) e ASOF JOIN lineage p
      ON p.recording = e.recording AND p.pid = e.ppid AND p.ts_ns <= e.ts_ns
  ),
  -- each lineage from its start (the calls' processes as they were), up
  -- (`path`: the events walked, by pid and time, macros.sql walk_path; a walk that meets one
  -- already on it, a loop of parents in a damaged recording, stops there: `cycle`)
  walk AS (
    SELECT DISTINCT recording, pid, ts_ns AS start_ns, pid AS at_pid, ts_ns AS at_ns, 0 AS depth,
      NULL::STRUCT(pid INTEGER, start_ns BIGINT)[] AS path, false AS cycle
    FROM start
    UNION ALL
    SELECT w.recording, w.pid, w.start_ns, u.up_pid, u.up_ns, w.depth + 1,
      walk_path(w.path, w.at_pid, w.at_ns, u.up_pid, u.up_ns),
      on_path(w.path, w.at_pid, w.at_ns, u.up_pid, u.up_ns)
    FROM walk w
    JOIN up u ON u.recording = w.recording AND u.pid = w.at_pid AND u.ts_ns = w.at_ns
    WHERE w.depth < 65 AND NOT w.cycle
  ),
  -- the lineages whose walk would have gone past 64 generations
  cuts AS (SELECT DISTINCT recording, pid, start_ns FROM walk WHERE depth = 65 AND NOT cycle),
  -- the lineages whose walk closed a loop: its pids, from the event met again round to it
  loops AS (
    SELECT recording, pid, start_ns,
      list_transform(path[list_position(path, path[-1]):], k -> k.pid) AS loop
    FROM walk WHERE cycle
    -- (an event recorded twice walks a loop twice: one per lineage, the shortest)
    QUALIFY row_number() OVER (PARTITION BY recording, pid, start_ns ORDER BY depth) = 1
  ),
  -- each exec's end: the pid's next exec or exit (what the process opened in between is its)
  ends AS (
    SELECT recording, pid, ts_ns,
      lead(ts_ns) OVER (PARTITION BY recording, pid ORDER BY ts_ns) AS end_ns
    FROM lineage WHERE kind IN ('exec', 'exit', 'joined')
  ),
  -- the execs on the lineages; a link is followed (below) only from an exec: after a join node
  -- loaded its script long ago, and the first module it opens then is one it requires lazily
  -- (undici, the SDK), so a joined link keeps its own name (`cn`)
  execs AS (
    SELECT w.recording, w.pid, w.start_ns, w.depth, p.ts_ns AS exec_ns, p.filename, p.argv,
      p.cwd, p.exe,
      CASE WHEN p.kind = 'exec' THEN npm_link_script(p.filename, p.argv, p.cwd) END AS link_script
    FROM walk w
    JOIN process p ON p.recording = w.recording AND p.pid = w.at_pid AND p.ts_ns = w.at_ns
    WHERE p.kind IN ('exec', 'joined') AND w.depth <= 64 AND NOT w.cycle
  ),
  -- a node script that lies in no package, which may be a link into one (npm's `.bin` link, a
  -- global install's `/usr/local/bin/cn`): node opens the script's real path, and first the
  -- package.json of its package scope, before any module of its own (its preloads', named by
  -- `-r`/`--import`, aside). So the first module file (`package.json`, `*.js`, `*.cjs`,
  -- `*.mjs`, `*.ts`, `*.node`) the process opened after the exec, and before its next, is the
  -- script's or its package's: when it lies in a package, that package is the program; when
  -- not (a script of its own, or no such open recorded), the script's own name stays.
  link_packages AS (
    SELECT e.recording, e.pid, e.exec_ns, npm_package(arg_min(f.path, f.ts_ns)) AS package
    FROM (SELECT DISTINCT x.recording, x.pid, x.exec_ns, x.link_script,
        node_preloads(x.argv, x.cwd) AS preloads, n.end_ns
      FROM execs x
      JOIN ends n ON n.recording = x.recording AND n.pid = x.pid AND n.ts_ns = x.exec_ns
      WHERE x.link_script IS NOT NULL) e
    JOIN file f ON f.recording = e.recording AND f.pid = e.pid AND f.ts_ns > e.exec_ns
      AND f.ts_ns < coalesce(e.end_ns, 9223372036854775807)
    -- (tests of the pair only: no rule is run over the whole file table)
    WHERE f.op = 'open' AND f.ret >= 0
      AND (ends_with(f.path, '/package.json') OR ends_with(f.path, '.js')
        OR ends_with(f.path, '.mjs') OR ends_with(f.path, '.cjs') OR ends_with(f.path, '.ts')
        OR ends_with(f.path, '.mts') OR ends_with(f.path, '.cts') OR ends_with(f.path, '.node'))
      AND (len(e.preloads) = 0 OR NOT (list_contains(e.preloads, f.path)
        OR coalesce(list_contains(e.preloads, npm_package(f.path)), false)))
    GROUP BY e.recording, e.pid, e.exec_ns
  ),
  -- each program named once (many processes run the same), and whether it names an agent:
  -- by its package when its link was followed (above), or when the file the kernel ran, after
  -- symlinks, lies in one (a native program's `.bin` link); a command runner (macros.sql
  -- runs_commands: by the executable, never a script's name) names none
  programs AS (
    SELECT filename, argv, cwd, exe, name,
      name IS NOT NULL AND name IS DISTINCT FROM program_runtime(filename, argv)
        AND NOT runs_commands(filename, argv, cwd, exe) AS names_agent
    FROM (
      SELECT filename, argv, cwd, exe, coalesce(CASE WHEN program_runtime(filename, argv) IS NULL
          THEN npm_package(exe) END, program_name(filename, argv, cwd)) AS name
      FROM (SELECT DISTINCT filename, argv, cwd, exe FROM execs)
    )
  ),
  -- each lineage's name: its nearest program that names an agent, else its nearest program
  -- (two execs of a pid in one nanosecond cannot be, the second ending the first: one kept)
  named AS (
    SELECT recording, pid, start_ns,
      coalesce(arg_min(name, depth) FILTER (WHERE names_agent),
        arg_min(name, depth) FILTER (WHERE name IS NOT NULL)) AS agent,
      bool_or(names_agent) AS by_agent
    FROM (
      SELECT e.recording, e.pid, e.start_ns, e.depth, coalesce(k.package, g.name) AS name,
        CASE WHEN k.package IS NULL THEN g.names_agent
          ELSE NOT npm_runner_package(k.package) END AS names_agent
      FROM execs e
      JOIN programs g
        ON g.filename IS NOT DISTINCT FROM e.filename AND g.argv IS NOT DISTINCT FROM e.argv
          AND g.cwd IS NOT DISTINCT FROM e.cwd AND g.exe IS NOT DISTINCT FROM e.exe
      LEFT JOIN link_packages k
        ON k.recording = e.recording AND k.pid = e.pid AND k.exec_ns = e.exec_ns
    )
    GROUP BY recording, pid, start_ns
  )
  SELECT s.recording, s.llm_call_id, s.pid, g.agent,
    k.pid IS NOT NULL AND NOT coalesce(g.by_agent, false) AS cut,
    CASE WHEN NOT coalesce(g.by_agent, false) THEN o.loop END AS loop
  FROM start s
  LEFT JOIN named g ON g.recording = s.recording AND g.pid = s.pid AND g.start_ns = s.ts_ns
  LEFT JOIN cuts k ON k.recording = s.recording AND k.pid = s.pid AND k.start_ns = s.ts_ns
  LEFT JOIN loops o ON o.recording = s.recording AND o.pid = s.pid AND o.start_ns = s.ts_ns
  WHERE g.agent IS NOT NULL OR k.pid IS NOT NULL OR o.pid IS NOT NULL;
UPDATE llm_calls SET agent = n.agent
FROM llm_call_names n
WHERE llm_calls.recording = n.recording AND llm_calls.llm_call_id = n.llm_call_id
  AND n.agent IS NOT NULL;
