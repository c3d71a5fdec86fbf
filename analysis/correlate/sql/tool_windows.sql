-- tool_windows: when each tool call could act. It opens at the first output of the answer
-- that asked for it (agents start a tool as soon as its call has streamed in, before the
-- answer ends) less $start_slack_ns, and closes when the request carrying its result back
-- starts; without a result, at the session's next main request; without either (or when
-- $use_brackets is false), $window_ns after the answer ended. A tool search (`kind`
-- `tool_search`: the Responses API's client-run search, Codex's) has none: it searches the
-- agent's own tool definitions, in its process, and acts on nothing outside it.
INSERT INTO tool_windows
WITH calls AS (
  SELECT t.recording, t.tool_call_id, t.llm_call_id, t.name, t.requested_ns, t.result_ns,
    c.pid AS session_id,
    coalesce(c.first_token_ns, c.first_byte_ns, c.request_ns, t.requested_ns) AS opens_ns,
    count(*) OVER (PARTITION BY t.recording, t.llm_call_id) AS parallel
  FROM tool_calls t
  JOIN llm_calls c ON c.recording = t.recording AND c.llm_call_id = t.llm_call_id
  WHERE t.kind <> 'tool_search'
),
-- the session's first main request after the call (an ASOF join: the next one, found in
-- sorted order; a join on the inequality with min() paired every call with every later
-- request of its session, 50M pairs at 10M events: reports/bench/analysis.md, session 31)
nxt AS (
  SELECT k.recording, k.tool_call_id, n.request_ns AS next_ns
  FROM (
    SELECT recording, tool_call_id, session_id, coalesce(requested_ns, opens_ns) AS after_ns
    FROM calls
    WHERE session_id IS NOT NULL AND coalesce(requested_ns, opens_ns) IS NOT NULL
  ) k
  ASOF JOIN (
    SELECT recording, pid, request_ns FROM llm_calls
    WHERE kind = 'main' AND pid IS NOT NULL AND request_ns IS NOT NULL
  ) n
    ON n.recording = k.recording AND n.pid = k.session_id AND n.request_ns > k.after_ns
)
SELECT k.recording, k.tool_call_id, k.llm_call_id, k.session_id, k.name,
  k.opens_ns - $start_slack_ns AS start_ns,
  CASE
    WHEN $use_brackets AND k.result_ns IS NOT NULL THEN greatest(k.result_ns, k.opens_ns)
    WHEN $use_brackets AND n.next_ns IS NOT NULL THEN n.next_ns
    ELSE coalesce(k.requested_ns, k.opens_ns) + $window_ns
  END AS end_ns,
  CASE
    WHEN $use_brackets AND k.result_ns IS NOT NULL THEN 'result'
    WHEN $use_brackets AND n.next_ns IS NOT NULL THEN 'next_call'
    ELSE 'window'
  END AS end_kind,
  k.parallel::INTEGER
FROM calls k
LEFT JOIN nxt n ON n.recording = k.recording AND n.tool_call_id = k.tool_call_id
WHERE k.opens_ns IS NOT NULL
ORDER BY k.recording, k.tool_call_id;
