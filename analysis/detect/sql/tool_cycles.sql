-- tool_cycles: runs of two or more consecutive tool calls of a session with the same name and
-- input that failed the same way. A result fails when the agent flagged it as an error, when
-- the kernel says its command failed (`tool_outcomes.failed`: the process it started, the
-- agent's child linked to it, exited non-zero or was killed by a signal — a crash: Codex runs
-- a simple command without a shell, so a SIGSEGV ends the command's own process, which has no
-- exit status then), or when its text reads like an error. Results are compared with digits
-- and hex ids blanked (Codex's chunk ids, Gemini's process group ids and timings differ per
-- call). The run's cost is that of every LLM call of the session from the request that asked
-- for the first call to the request that carried the last result back (side calls included);
-- the alert fires when the $loop_cycles-th identical failure comes back.
INSERT INTO tool_cycles
WITH calls AS (
  SELECT t.recording, c.pid AS session_id, t.tool_call_id, t.llm_call_id, t.name,
    t.input::VARCHAR AS input, t.result_text, t.result_is_error, t.result_ns, c.request_ns,
    regexp_replace(coalesce(t.result_text, ''), '[0-9a-fA-F]*[0-9][0-9a-fA-F]*', '#', 'g') AS sig
  FROM tool_calls t
  JOIN llm_calls c ON c.recording = t.recording AND c.llm_call_id = t.llm_call_id
),
judged AS (
  SELECT k.*, o.exit_code, o.evidence AS execs,
    CASE
      WHEN k.result_is_error THEN 'error flag'
      WHEN o.failed AND o.exit_signal IS NOT NULL THEN 'killed by signal ' || o.exit_signal
      WHEN o.failed THEN 'exit status ' || o.exit_code
      WHEN regexp_matches(coalesce(k.result_text, ''),
        '(?i)(\berror\b|\bfailed\b|no such file|not found|permission denied|traceback|exit code:? *[1-9]|exited with code [1-9]|\busage:)')
        THEN 'error text'
    END AS failure
  FROM calls k
  LEFT JOIN tool_outcomes o ON o.recording = k.recording AND o.tool_call_id = k.tool_call_id
),
marked AS (
  SELECT *,
    CASE WHEN failure IS NOT NULL
      AND lag(failure) OVER w IS NOT NULL
      AND lag(name) OVER w = name AND lag(input) OVER w = input AND lag(sig) OVER w = sig
      THEN 0 ELSE 1 END AS starts
  FROM judged
  WINDOW w AS (PARTITION BY recording, session_id ORDER BY tool_call_id)
),
grouped AS (
  SELECT *,
    sum(starts) OVER (PARTITION BY recording, session_id ORDER BY tool_call_id) AS g,
    row_number() OVER (PARTITION BY recording, session_id ORDER BY tool_call_id) AS pos
  FROM marked
),
runs AS (
  SELECT recording, session_id, g,
    min(tool_call_id) AS first_id, max(tool_call_id) AS last_id, count(*) AS cycles,
    any_value(name) AS name, any_value(input) AS input,
    left(arg_min(result_text, tool_call_id), 300) AS result,
    arg_min(failure, tool_call_id) AS failure,
    min(request_ns) AS start_ns,
    arg_max(result_ns, tool_call_id) AS end_ns,
    list(result_ns ORDER BY tool_call_id) AS result_times,
    list('tool_call:' || tool_call_id ORDER BY tool_call_id) AS tool_ev,
    flatten(list(coalesce(execs, []) ORDER BY tool_call_id)) AS exec_ev
  FROM grouped
  WHERE failure IS NOT NULL
  GROUP BY recording, session_id, g
  HAVING count(*) >= 2
),
costed AS (
  SELECT r.*,
    CASE WHEN r.cycles >= $loop_cycles THEN r.result_times[$loop_cycles] END AS threshold_ns,
    (SELECT count(*) FROM llm_calls c WHERE c.recording = r.recording AND c.pid = r.session_id
      AND c.request_ns >= r.start_ns AND c.request_ns < coalesce(r.end_ns, 9223372036854775807))
      AS llm_calls,
    (SELECT coalesce(sum(input_tokens), 0) FROM llm_calls c
      WHERE c.recording = r.recording AND c.pid = r.session_id AND c.request_ns >= r.start_ns
        AND c.request_ns < coalesce(r.end_ns, 9223372036854775807)) AS input_tokens,
    (SELECT coalesce(sum(output_tokens), 0) FROM llm_calls c
      WHERE c.recording = r.recording AND c.pid = r.session_id AND c.request_ns >= r.start_ns
        AND c.request_ns < coalesce(r.end_ns, 9223372036854775807)) AS output_tokens,
    (SELECT sum(cost_usd) FROM llm_calls c
      WHERE c.recording = r.recording AND c.pid = r.session_id AND c.request_ns >= r.start_ns
        AND c.request_ns < coalesce(r.end_ns, 9223372036854775807)) AS cost_usd,
    (SELECT list('llm_call:' || llm_call_id ORDER BY llm_call_id) FROM llm_calls c
      WHERE c.recording = r.recording AND c.pid = r.session_id AND c.request_ns >= r.start_ns
        AND c.request_ns < coalesce(r.end_ns, 9223372036854775807)) AS llm_ev
  FROM runs r
)
SELECT recording, session_id, first_id, last_id, cycles, name, input, result, failure,
  start_ns, end_ns, threshold_ns, llm_calls, input_tokens, output_tokens, cost_usd,
  (SELECT coalesce(sum(coalesce(input_tokens, 0) + coalesce(output_tokens, 0)), 0)
    FROM llm_calls c
    WHERE c.recording = k.recording AND c.pid = k.session_id AND c.request_ns >= k.start_ns
      AND c.request_ns < coalesce(k.threshold_ns, k.end_ns, 9223372036854775807)),
  list_concat(tool_ev, coalesce(llm_ev, []), exec_ev)
FROM costed k
ORDER BY recording, session_id, first_id;
