-- llm_call_agents: names the agent of each LLM call whose User-Agent named none (only an SDK's,
-- an HTTP client's or a runtime's, call_kind.ts `agentOf`: GitHub Copilot CLI sends
-- `OpenAI/JS 5.20.1`, Continue CLI `node-fetch`, Pi `Anthropic/JS 0.91.1`, Nanocoder
-- `ai-sdk/anthropic/3.0.140`, or none) by the program its process ran (macros.sql
-- `program_name`: `copilot`, `cn`, `@github/copilot`), from the raw `process` events: the
-- process's last exec at or before the call; a process that forked and did not exec runs its
-- parent's program, its parent's last exec before the fork; a pid whose last event before the
-- call is an exit is another process's (a pid reused, its fork not seen), and stays unnamed, as
-- does one with nothing recorded of it (joined with --pid). Only the processes of such calls
-- are read of `process`, and each program is named once. Before processes.sql, which names an agent process after its calls.
UPDATE llm_calls SET agent = n.agent
FROM (
  WITH calls AS (
    SELECT recording, llm_call_id, pid, request_ns FROM llm_calls
    WHERE agent IS NULL AND request_ns IS NOT NULL
  ),
  life AS (
    SELECT p.recording, p.pid, p.ts_ns, p.kind, p.ppid
    FROM process p
    WHERE p.kind IN ('exec', 'fork', 'exit')
      AND p.pid IN (SELECT pid FROM calls)
  ),
  last AS (
    SELECT c.recording, c.llm_call_id, l.pid, l.kind, l.ppid, l.ts_ns
    FROM calls c ASOF JOIN life l
      ON l.recording = c.recording AND l.pid = c.pid AND l.ts_ns <= c.request_ns
  ),
  parent_execs AS (
    SELECT p.recording, p.pid, p.ts_ns
    FROM process p
    WHERE p.kind = 'exec' AND p.pid IN (SELECT ppid FROM last WHERE kind = 'fork')
  ),
  -- each call's exec, by its process and time
  ran AS (
    SELECT recording, llm_call_id, pid, ts_ns FROM last WHERE kind = 'exec'
    UNION ALL
    SELECT l.recording, l.llm_call_id, e.pid, e.ts_ns
    FROM (FROM last WHERE kind = 'fork') l ASOF JOIN parent_execs e
      ON e.recording = l.recording AND e.pid = l.ppid AND e.ts_ns <= l.ts_ns
  ),
  -- the execs run, each once
  execs AS (
    SELECT DISTINCT p.recording, p.pid, p.ts_ns, p.filename, p.argv, p.cwd
    FROM process p
    SEMI JOIN ran r ON r.recording = p.recording AND r.pid = p.pid AND r.ts_ns = p.ts_ns
    WHERE p.kind = 'exec'
  ),
  -- each program named once (many processes run the same)
  programs AS (
    SELECT filename, argv, cwd, program_name(filename, argv, cwd) AS agent
    FROM (SELECT DISTINCT filename, argv, cwd FROM execs)
  )
  SELECT r.recording, r.llm_call_id, any_value(g.agent) AS agent
  FROM ran r
  JOIN execs e USING (recording, pid, ts_ns)
  JOIN programs g
    ON g.filename IS NOT DISTINCT FROM e.filename AND g.argv IS NOT DISTINCT FROM e.argv
      AND g.cwd IS NOT DISTINCT FROM e.cwd
  -- two execs of a pid in one nanosecond cannot be (the second ends the first): one kept
  GROUP BY r.recording, r.llm_call_id
) n
WHERE llm_calls.recording = n.recording AND llm_calls.llm_call_id = n.llm_call_id
  AND n.agent IS NOT NULL;
