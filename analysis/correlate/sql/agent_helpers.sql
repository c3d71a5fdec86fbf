-- agent_helpers: an agent's own helper processes are the agent, not tools. A child of the
-- agent process (the top of a branch, depth 1) that executed the agent's own program — the
-- same file as the agent process runs, by the path the kernel resolved (`process.exe`, the
-- same through symlinks), and, when the agent runs as `INTERPRETER SCRIPT` (node, nodejs,
-- bun, deno, python*, ruby or perl by the executable's name, with a first argument that is a
-- path or names a script: node cli.js), the same script — and that started
-- outside every turn of its session is a helper: the agent started it of its own accord, not
-- a command of a tool call (Cline 3's `cline --cline-hub-daemon`, Arctic's `arctic add ...`,
-- GitHub Copilot CLI's self-exec at start-up). Outside every turn is judged by the session's
-- main LLM calls, not by its parsed tool calls (none are parsed from an API not understood or
-- with TLS bytes lost, and Codex re-executes itself as `codex-linux-sandbox` for every
-- sandboxed command): before the first answer, or after an answer known to have called no
-- tool and before the next request; never inside a window of `tool_windows`. A session with
-- no main LLM call parsed has no helper. It and the processes of its branch started, as were
-- all their parents up to it, outside every turn become role `helper` in `lineage` and
-- `processes.agent_role`, so that what they do is the agent's own, as the agent process's is
-- (`links` attribution `agent`, no `Tool process` finding, their files the agent's in the
-- summary). A process the helper forks inside a turn (and all below it) stays a `descendant`:
-- it may be a tool call's work, or not the agent's at all, and is judged as any other. A tool
-- call that runs the agent's program (`claude --version` as a command) starts it in its
-- turn: a tool.
UPDATE lineage l
SET role = 'helper'
FROM (
  WITH RECURSIVE agent_end AS (
    SELECT recording, pid AS session_id, max(coalesce(end_ns, 9223372036854775807)) AS end_ns
    FROM lineage WHERE role = 'agent' GROUP BY ALL
  ),
  answers AS (
    -- each main answer of a session, from its first byte (less the slack tool windows open
    -- with) to the session's next main request, or the agent's end after the last: a tool
    -- call it asked for may run all that while, parsed or not (an API not parsed, TLS bytes
    -- lost: no tool call, yet the agent's commands run). An answer known to have called no
    -- tool (whole, a stop reason read and not a tool's, no tool call) ends at its last byte.
    SELECT c.recording, c.pid AS session_id,
      coalesce(c.first_token_ns, c.first_byte_ns, c.request_ns) - $start_slack_ns AS start_ns,
      CASE
        WHEN c.tool_call_count = 0 AND c.stop_reason IS NOT NULL AND NOT c.incomplete
          AND NOT regexp_matches(c.stop_reason, 'tool|function', 'i') AND c.end_ns IS NOT NULL
          THEN c.end_ns
        ELSE coalesce(
          lead(c.request_ns) OVER (
            PARTITION BY c.recording, c.pid ORDER BY c.request_ns, c.llm_call_id),
          e.end_ns, 9223372036854775807)
      END AS end_ns
    FROM llm_calls c
    LEFT JOIN agent_end e ON e.recording = c.recording AND e.session_id = c.pid
    WHERE c.kind = 'main' AND c.pid IS NOT NULL
      AND coalesce(c.first_token_ns, c.first_byte_ns, c.request_ns) IS NOT NULL
  ),
  outside AS (
    -- the descendants started outside every turn (answer) and tool call of their session,
    -- in a session with a main LLM call parsed (else nothing is known of its turns)
    SELECT x.recording, x.pid, x.start_ns, x.ppid, x.parent_start_ns
    FROM lineage x
    WHERE x.role = 'descendant' AND x.start_ns IS NOT NULL
      AND EXISTS (
        SELECT 1 FROM llm_calls c
        WHERE c.recording = x.recording AND c.pid = x.session_id AND c.kind = 'main'
      )
      AND NOT EXISTS (
        SELECT 1 FROM answers a
        WHERE a.recording = x.recording AND a.session_id = x.session_id
          AND x.start_ns BETWEEN a.start_ns AND a.end_ns
      )
      AND NOT EXISTS (
        SELECT 1 FROM tool_windows w
        WHERE w.recording = x.recording AND w.session_id = x.session_id
          AND x.start_ns BETWEEN w.start_ns AND w.end_ns
      )
  ),
  resolved AS (
    -- each incarnation's last executed file as the kernel resolved it (else as named)
    SELECT i.recording, i.pid, i.start_ns,
      arg_max(coalesce(r.exe, r.filename), r.ts_ns) AS file,
      arg_max(r.argv, r.ts_ns) AS argv
    FROM lineage i
    JOIN process r
      ON r.recording = i.recording AND r.pid = i.pid AND r.kind IN ('exec', 'joined')
      AND r.ts_ns >= i.start_ns AND r.ts_ns <= coalesce(i.end_ns, 9223372036854775807)
    WHERE i.role = 'agent' OR (i.role = 'descendant' AND i.depth = 1)
    GROUP BY ALL
  ),
  script AS (
    -- the first argument, when it names a script file: a path, or a script's extension
    SELECT *, list_filter(argv[2:], x -> NOT starts_with(x, '-'))[1] AS first_arg
    FROM resolved
  ),
  tops AS (
    SELECT h.recording, h.pid, h.start_ns
    FROM lineage h
    JOIN outside o ON o.recording = h.recording AND o.pid = h.pid AND o.start_ns = h.start_ns
    JOIN script hx ON hx.recording = h.recording AND hx.pid = h.pid AND hx.start_ns = h.start_ns
    JOIN script ax
      ON ax.recording = h.recording AND ax.pid = h.ppid AND ax.start_ns = h.parent_start_ns
    WHERE h.role = 'descendant' AND h.depth = 1 AND hx.file = ax.file
      -- the script is compared only when an interpreter runs it: a program's own first
      -- argument (a prompt file, a directory) names no program
      AND (NOT regexp_matches(regexp_extract(ax.file, '[^/]*$'),
          '^(node|nodejs|bun|deno|python[0-9.]*|ruby|perl)$')
        OR ax.first_arg IS NULL
        OR NOT regexp_matches(ax.first_arg, '/|\.(c|m)?[jt]sx?$|\.py$|\.rb$|\.pl$')
        OR hx.first_arg = ax.first_arg)
  ),
  helpers(recording, pid, start_ns) AS (
    -- down the branch, through children started outside every window only
    SELECT recording, pid, start_ns FROM tops
    UNION
    SELECT o.recording, o.pid, o.start_ns
    FROM helpers p
    JOIN outside o
      ON o.recording = p.recording AND o.ppid = p.pid AND o.parent_start_ns = p.start_ns
  )
  SELECT * FROM helpers
) b
WHERE l.recording = b.recording AND l.role = 'descendant' AND l.pid = b.pid
  AND l.start_ns = b.start_ns;
